/**
 * The SDK instances connected to one environment: app, SDK version, applied
 * version, connected since. The list is also served alone, and console.js
 * fetches it again when an instance connects or leaves, or applies a change.
 */
import type { InstanceList } from "../../../core/receipts/receipt.js";
import { EnvSwitch } from "./env-switch.js";
import { Layout, Time, type Viewer } from "./layout.js";

export const instancesPath = (env: string) => `/console/envs/${encodeURIComponent(env)}/instances`;
const fragmentPath = (env: string) => `/console/fragments/envs/${encodeURIComponent(env)}/instances`;

export interface InstancesProps {
  env: string;
  envs: string[];
  version: number;
  list: InstanceList;
}

export function InstancesPage(props: InstancesProps & { viewer: Viewer }) {
  const { env } = props;
  return (
    <Layout title={`Instances in ${env}`} section="instances" viewer={props.viewer}>
      <h1>
        Instances <span class="env-name">in {env}</span>
      </h1>
      <EnvSwitch env={env} envs={props.envs} href={instancesPath} />
      <div id="instances" data-refresh-url={fragmentPath(env)} data-refresh-events="instance receipt">
        <InstancesBody {...props} />
      </div>
      <p>
        <a href={instancesPath(env)}>Reload</a>
      </p>
    </Layout>
  );
}

export function InstancesBody(props: InstancesProps) {
  const { list, version } = props;
  return (
    <div id="instances-body">
      <p>
        {list.total === 0
          ? "No SDK instance is connected to this environment."
          : `${list.total} connected; the environment is at version ${version}.`}
      </p>
      {list.items.length > 0 && (
        <div class="table-wrap" tabindex={0} role="region" aria-label="Connected instances">
          <table>
            <thead>
              <tr>
                <th scope="col">Instance</th>
                <th scope="col">App</th>
                <th scope="col">SDK</th>
                <th scope="col">Applied version</th>
                <th scope="col">Connected since</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((i) => (
                <tr>
                  <td>
                    <code>{i.instance}</code>
                  </td>
                  <td>{i.app}</td>
                  <td>{i.sdk}</td>
                  <td>
                    {i.appliedVersion === null ? "none yet" : i.appliedVersion}
                    {i.appliedVersion !== null && i.appliedVersion < version ? " (behind)" : ""}
                  </td>
                  <td>
                    <Time at={i.connectedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
