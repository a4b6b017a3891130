/** The overview: every flag, and where to look at it. */
import type { FlagView } from "../../../core/schemas/responses.js";
import { flagPath } from "./flag.js";
import { Layout, type Viewer } from "./layout.js";

export function OverviewPage(props: { viewer: Viewer; envs: string[]; flags: FlagView[] }) {
  return (
    <Layout title="Overview" section="overview" viewer={props.viewer}>
      <h1>Overview</h1>
      {props.flags.length === 0 ? (
        <p>No flags yet.</p>
      ) : (
        <div class="table-wrap" tabindex={0} role="region" aria-label="Flags">
          <table>
            <thead>
              <tr>
                <th scope="col">Flag</th>
                {props.envs.map((env) => (
                  <th scope="col">{env}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {props.flags.map((flag) => (
                <tr>
                  <th scope="row">
                    <code>{flag.key}</code>
                    {flag.description && <span class="help block">{flag.description}</span>}
                  </th>
                  {props.envs.map((env) => (
                    <td>
                      <a href={flagPath(env, flag.key)}>
                        Open<span class="visually-hidden"> {flag.key} in {env}</span>
                      </a>
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}
