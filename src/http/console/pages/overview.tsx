/**
 * The overview: environments × flags, each cell the flag's state there in
 * words, and "Blocked now": every kill and blocking rule with its directive,
 * since when and by whom. The body is also served alone (`/console/overview`
 * fragment), which console.js fetches again when the operator event stream
 * reports a change.
 */
import type { BlockView, FlagState } from "../../../core/schemas/responses.js";
import { flagPath } from "./flag.js";
import { Layout, StateBadge, Time, type Viewer } from "./layout.js";

export interface OverviewProps {
  envs: string[];
  /** Flag keys in order, and each environment's states by key. */
  flags: { key: string; description: string | null }[];
  states: Record<string, Record<string, FlagState>>;
  blocks: (BlockView & { env: string })[];
}

export const OVERVIEW_FRAGMENT = "/console/fragments/overview";

export function OverviewPage(props: OverviewProps & { viewer: Viewer }) {
  return (
    <Layout title="Overview" section="overview" viewer={props.viewer}>
      <h1>Overview</h1>
      <div id="overview" data-refresh-url={OVERVIEW_FRAGMENT} data-refresh-events="change">
        <OverviewBody {...props} />
      </div>
    </Layout>
  );
}

export function OverviewBody(props: OverviewProps) {
  const { envs, flags, states, blocks } = props;
  return (
    <div id="overview-body">
      <section aria-labelledby="blocked-title">
        <h2 id="blocked-title">Blocked now</h2>
        {blocks.length === 0 ? (
          <p>Nothing is blocked or killed in any environment.</p>
        ) : (
          <ul class="blocked">
            {blocks.map((b) => (
              <li class="card">
                <p>
                  <StateBadge state={b.kind === "kill" ? "killed" : "blocked"} words={b.kind === "kill" ? "Killed" : "Blocked"} />{" "}
                  <a href={flagPath(b.env, b.flag)}>
                    <code>{b.flag}</code> in {b.env}
                  </a>
                  : {b.text}
                </p>
                <p class="help">
                  {b.directive ? `Directive ${b.directive}` : "No directive"}
                  {b.since && (
                    <>
                      {" · since "}
                      <Time at={b.since} />
                    </>
                  )}
                  {b.by ? ` · by ${b.by.name}` : ""}
                  {b.reason ? ` · “${b.reason}”` : ""}
                </p>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="flags-title">
        <h2 id="flags-title">Flags</h2>
        {flags.length === 0 ? (
          <p>No flags yet.</p>
        ) : (
          <div class="table-wrap" tabindex={0} role="region" aria-labelledby="flags-title">
            <table>
              <thead>
                <tr>
                  <th scope="col">Flag</th>
                  {envs.map((env) => (
                    <th scope="col">{env}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {flags.map((flag) => (
                  <tr>
                    <th scope="row">
                      <code>{flag.key}</code>
                      {flag.description && <span class="help block">{flag.description}</span>}
                    </th>
                    {envs.map((env) => {
                      const state = states[env]?.[flag.key];
                      return (
                        <td>
                          {state ? (
                            <a href={flagPath(env, flag.key)} class="cell-link">
                              <StateBadge state={state.state} words={cellWords(state)} />
                              <span class="visually-hidden">
                                {" "}
                                {flag.key} in {env}
                              </span>
                            </a>
                          ) : (
                            "—"
                          )}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}

function cellWords(state: FlagState): string {
  if (state.state === "killed") return "Killed";
  if (state.state === "on") return "On";
  const blocking = state.rules.filter((r) => r.blocks);
  // "off for nationality not in US" → "Blocked: nationality not in US".
  return blocking.length === 1 ? `Blocked: ${blocking[0]!.text.replace(/^.*? for /, "")}` : `Blocked by ${blocking.length} rules`;
}
