/** The audit log, newest first, with the chain's verification and its head. */
import type { AuditEntryView, AuditHeadView, AuditVerification } from "../../../core/schemas/responses.js";
import type { Problem } from "../api-client.js";
import { Layout, ProblemNotice, StateBadge, Time, type Viewer } from "./layout.js";

/** The audit list's filters, as the form and the URL carry them (times in UTC, to the minute). */
export interface AuditFilters {
  flag?: string | undefined;
  env?: string | undefined;
  actor?: string | undefined;
  directive?: string | undefined;
  action?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

export const AUDIT_FILTERS = ["flag", "env", "actor", "directive", "action", "since", "until"] as const;

export interface AuditPageProps {
  viewer: Viewer;
  filters: AuditFilters;
  entries: AuditEntryView[];
  nextCursor?: string | undefined;
  verification: AuditVerification;
  head: AuditHeadView;
  problem?: Problem | undefined;
}

const LABELS: Record<(typeof AUDIT_FILTERS)[number], string> = {
  flag: "Flag",
  env: "Environment",
  actor: "Key (id or name)",
  directive: "Directive",
  action: "Action (e.g. flag.block)",
  since: "Since (UTC)",
  until: "Until (UTC)",
};

/** The query of these filters, for the next page's link. */
export function auditQuery(filters: AuditFilters, cursor?: string): string {
  const params = new URLSearchParams();
  for (const name of AUDIT_FILTERS) if (filters[name]) params.set(name, filters[name]!);
  if (cursor) params.set("cursor", cursor);
  const text = params.toString();
  return text ? `?${text}` : "";
}

/**
 * A read-only filter form, sent with GET so that a filtered list has an address
 * to share: it changes nothing, so it carries no form token (which would then sit in the URL).
 */
function Filters(props: { filters: AuditFilters }) {
  return (
    <form method="get" action="/console/audit" class="filters" aria-labelledby="filters-title">
      <h2 id="filters-title" class="visually-hidden">
        Filters
      </h2>
      {AUDIT_FILTERS.map((name) => (
        <div class="field">
          <label for={`filter-${name}`}>{LABELS[name]}</label>
          <input
            id={`filter-${name}`}
            name={name}
            type={name === "since" || name === "until" ? "datetime-local" : "text"}
            value={props.filters[name] ?? ""}
            autocomplete="off"
          />
        </div>
      ))}
      <div class="form-actions">
        <button type="submit">Filter</button>
        <a href="/console/audit">Clear</a>
      </div>
    </form>
  );
}

export function AuditPage(props: AuditPageProps) {
  const { verification, head } = props;
  return (
    <Layout title="Audit" section="audit" viewer={props.viewer}>
      <h1>Audit log</h1>
      <section aria-labelledby="verify-title" class="card">
        <h2 id="verify-title">Chain verification</h2>
        <p>
          {verification.ok ? (
            <StateBadge state="on" words="Verified" />
          ) : (
            <StateBadge state="killed" words="Broken" />
          )}{" "}
          {verification.ok
            ? `Every one of the ${verification.entries} entries links to the one before it.`
            : `The chain breaks at entry ${verification.brokenAt ?? verification.missing}: ${verification.breaks.length} entries do not fit.`}
        </p>
        <p>
          Head: entry <strong>{head.seq}</strong>, hash <code class="hash">{head.hash}</code>
          {head.at && (
            <>
              , written <Time at={head.at} />
            </>
          )}
          .
        </p>
      </section>
      <h2>Entries</h2>
      <Filters filters={props.filters} />
      <ProblemNotice problem={props.problem} />
      {props.entries.length === 0 ? (
        <p>No entries.</p>
      ) : (
        <div class="table-wrap" tabindex={0} role="region" aria-label="Audit entries">
          <table>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">What</th>
                <th scope="col">Reason</th>
                <th scope="col">Directive</th>
              </tr>
            </thead>
            <tbody>
              {props.entries.map((e) => (
                <tr>
                  <td>{e.seq}</td>
                  <td>
                    <Time at={e.at} />
                  </td>
                  <td>
                    {e.actor.name} ({e.actor.role})
                  </td>
                  <td>{e.action}</td>
                  <td>
                    <code>{e.key}</code>
                    {e.env ? ` in ${e.env}` : ""}
                  </td>
                  <td>{e.reason ?? "—"}</td>
                  <td>{e.directive ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.nextCursor && (
        <p>
          <a href={`/console/audit${auditQuery(props.filters, props.nextCursor)}`}>Older entries</a>
        </p>
      )}
    </Layout>
  );
}
