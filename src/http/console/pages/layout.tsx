/**
 * The frame of every console page: skip link, header with navigation and the
 * signed-in key, and the main region. Server-rendered; the one script only
 * updates live parts (console.js), and every page works without it.
 */
import type { Child } from "hono/jsx";
import type { Problem } from "../api-client.js";

export interface Viewer {
  name: string;
  role: string;
  csrfToken: string;
}

export type Section = "overview" | "flags" | "instances" | "audit" | "directives" | "explain" | "sign-in";

const NAV: { section: Section; label: string; href: string }[] = [
  { section: "overview", label: "Overview", href: "/console" },
  { section: "instances", label: "Instances", href: "/console/instances" },
  { section: "audit", label: "Audit", href: "/console/audit" },
  { section: "directives", label: "Directives", href: "/console/directives" },
  { section: "explain", label: "Explain", href: "/console/explain" },
];

export function Layout(props: { title: string; section: Section; viewer?: Viewer | undefined; children: Child }) {
  const { title, section, viewer } = props;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{`${title} · Killswitch`}</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/console/assets/console.css" />
        <script type="module" src="/console/assets/console.js"></script>
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <a class="brand" href="/console">
            Killswitch
          </a>
          {viewer && (
            <nav aria-label="Main">
              <ul>
                {NAV.map((item) => (
                  <li>
                    <a href={item.href} aria-current={item.section === section ? "page" : undefined}>
                      {item.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          )}
          {viewer && (
            <div class="who">
              <span>
                Signed in as <strong>{viewer.name}</strong> ({viewer.role})
              </span>
              <form method="post" action="/console/sign-out">
                <Csrf token={viewer.csrfToken} />
                <button type="submit" class="secondary">
                  Sign out
                </button>
              </form>
            </div>
          )}
        </header>
        <main id="main" tabindex={-1}>
          {props.children}
        </main>
      </body>
    </html>
  );
}

export function Csrf(props: { token: string }) {
  return <input type="hidden" name="csrf" value={props.token} />;
}

/** A refusal of the API, with what to fix per field. */
export function ProblemNotice(props: { problem: Problem | undefined }) {
  const { problem } = props;
  if (!problem) return null;
  return (
    <div class="notice error" role="alert">
      <p>
        <strong>Not done:</strong> {problem.detail}
      </p>
      {problem.errors && problem.errors.length > 1 && (
        <ul>
          {problem.errors.map((e) => (
            <li>{e.path ? `${e.path}: ${e.message}` : e.message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export type State = "on" | "off" | "blocked" | "killed" | "partly";

const STATE_WORDS: Record<State, { symbol: string; words: string }> = {
  on: { symbol: "●", words: "On" },
  off: { symbol: "○", words: "Off" },
  blocked: { symbol: "◐", words: "Blocked for a segment" },
  partly: { symbol: "◐", words: "Rules apply" },
  killed: { symbol: "■", words: "Killed: off for everyone" },
};

/** A state in words and a shape, coloured too, but never by colour alone. */
export function StateBadge(props: { state: State; words?: string | undefined }) {
  const { symbol, words } = STATE_WORDS[props.state];
  return (
    <span class={`badge state-${props.state}`}>
      <span aria-hidden="true">{symbol}</span> {props.words ?? words}
    </span>
  );
}

/** Milliseconds since the epoch or ISO time, as the operator reads it (UTC, to the minute). */
export function Time(props: { at: string | number | null | undefined }) {
  if (props.at === null || props.at === undefined) return <span>—</span>;
  const date = new Date(props.at);
  const iso = date.toISOString();
  return <time datetime={iso}>{`${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`}</time>;
}
