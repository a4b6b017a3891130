/**
 * Directives: every order on record (and every ref that changes carry without
 * a record), and one directive's page: what it says, its status, and its
 * timeline, the audit entries that carry its ref, oldest first, with a link to
 * its printable report.
 */
import type { AuditEntryView, DirectiveView } from "../../../core/schemas/responses.js";
import { Layout, StateBadge, Time, type State, type Viewer } from "./layout.js";

export const directivePath = (ref: string) => `/console/directives/${encodeURIComponent(ref)}`;

const STATUS: Record<DirectiveView["status"], { state: State; words: string }> = {
  open: { state: "off", words: "Open: nothing carries it yet" },
  "in-effect": { state: "blocked", words: "In effect" },
  lifted: { state: "on", words: "Lifted" },
  unrecorded: { state: "partly", words: "Unrecorded: changes carry it, no record" },
};

export function DirectiveStatus(props: { status: DirectiveView["status"] }) {
  const { state, words } = STATUS[props.status];
  return <StateBadge state={state} words={words} />;
}

export function DirectivesPage(props: { viewer: Viewer; directives: DirectiveView[] }) {
  return (
    <Layout title="Directives" section="directives" viewer={props.viewer}>
      <h1>Directives</h1>
      {props.directives.length === 0 ? (
        <p>No directive is on record, and no change carries one.</p>
      ) : (
        <div class="table-wrap" tabindex={0} role="region" aria-label="Directives">
          <table>
            <thead>
              <tr>
                <th scope="col">Directive</th>
                <th scope="col">Status</th>
                <th scope="col">Issuer</th>
                <th scope="col">Received</th>
                <th scope="col">In effect since</th>
                <th scope="col">Changes</th>
              </tr>
            </thead>
            <tbody>
              {props.directives.map((d) => (
                <tr>
                  <th scope="row">
                    <a href={directivePath(d.ref)}>{d.ref}</a>
                    {d.title && <span class="help block">{d.title}</span>}
                  </th>
                  <td>
                    <DirectiveStatus status={d.status} />
                  </td>
                  <td>{d.issuer ?? "—"}</td>
                  <td>
                    <Time at={d.receivedAt} />
                  </td>
                  <td>
                    <Time at={d.inEffectSince} />
                  </td>
                  <td>{d.changes}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}

export function DirectivePage(props: { viewer: Viewer; directive: DirectiveView; timeline: AuditEntryView[]; report: string | undefined }) {
  const { directive: d, timeline } = props;
  return (
    <Layout title={d.ref} section="directives" viewer={props.viewer}>
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href="/console/directives">Directives</a> <span aria-hidden="true">›</span> <span>{d.ref}</span>
      </nav>
      <h1>{d.ref}</h1>
      {d.title && <p class="lede">{d.title}</p>}
      <p>
        <DirectiveStatus status={d.status} />
      </p>
      <dl class="facts">
        <dt>Issuer</dt>
        <dd>{d.issuer ?? "—"}</dd>
        <dt>Received</dt>
        <dd>
          <Time at={d.receivedAt} />
        </dd>
        <dt>Deadline</dt>
        <dd>
          <Time at={d.deadline} />
        </dd>
        <dt>In effect since</dt>
        <dd>
          <Time at={d.inEffectSince} />
        </dd>
        {d.lifted && (
          <>
            <dt>Lifted</dt>
            <dd>
              <Time at={d.lifted.at} /> by {d.lifted.by}: {d.lifted.reason}
            </dd>
          </>
        )}
      </dl>
      {d.summary && <p>{d.summary}</p>}
      {props.report && (
        <p>
          <a href={props.report}>Printable report</a>
        </p>
      )}
      <h2>Timeline</h2>
      {timeline.length === 0 ? (
        <p>No change carries this directive yet.</p>
      ) : (
        <ol class="timeline">
          {timeline.map((e) => (
            <li>
              <Time at={e.at} /> — <strong>{e.action}</strong> of <code>{e.key}</code>
              {e.env ? ` in ${e.env}` : ""} by {e.actor.name}
              {e.reason ? `: “${e.reason}”` : ""} <span class="help">(audit entry {e.seq})</span>
            </li>
          ))}
        </ol>
      )}
    </Layout>
  );
}
