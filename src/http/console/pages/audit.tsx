/** The audit log, newest first, with the chain's verification and its head. */
import type { AuditEntryView, AuditHeadView, AuditVerification } from "../../../core/schemas/responses.js";
import { Layout, StateBadge, Time, type Viewer } from "./layout.js";

export interface AuditPageProps {
  viewer: Viewer;
  entries: AuditEntryView[];
  nextCursor?: string | undefined;
  verification: AuditVerification;
  head: AuditHeadView;
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
          <a href={`/console/audit?cursor=${encodeURIComponent(props.nextCursor)}`}>Older entries</a>
        </p>
      )}
    </Layout>
  );
}
