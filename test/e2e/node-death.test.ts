/**
 * A node that dies without a word (SIGKILL), beside a live one on the same
 * database file. Until the dead node has been silent for 30 s it still counts:
 * a receipt asked of the live node for a change made after the death is not
 * complete, because the dead node never reported its share (its instances may
 * not have the change). Once it counts as gone, the receipt is complete over
 * the live node's instances, and the instance list holds only those.
 *
 * The test plays the dead node's last heartbeat (its row in `stream_nodes`), so
 * that what the live node concludes depends on the heartbeat's age alone, not on
 * how fast this machine is: first 20 s old (it still counts), then 30 s old (gone).
 */
import { createClient, type Client } from "@libsql/client";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Api } from "../support/api.js";
import type { TestTenant } from "../support/tenants.js";
import type { TrackedClient } from "./support/sdk-clients.js";
import type { ServerProcess } from "./support/server-process.js";
import { startTwoProcesses, type TwoProcesses } from "./support/two-processes.js";
import { waitFor } from "./support/wait-for.js";

const FLAG = "model.fable-5";
const PER_NODE = 2;
/** A node silent for 30 s counts as gone (docs/storage.md). */
const GONE_AFTER_MS = 30_000;

let cluster: TwoProcesses;
let nodeB: ServerProcess;
let apiA: Api;
let t: TestTenant;
let onA: TrackedClient[];
let db: Client;

beforeAll(async () => {
  cluster = await startTwoProcesses("node death", FLAG, PER_NODE);
  ({ nodeB, apiA, t, onA } = cluster);
  db = createClient({ url: cluster.databaseUrl, timeout: 10_000 });
  await waitFor(async () => (await instances()).total === 2 * PER_NODE, 20_000, "both nodes' instances on A");
}, 120_000);

afterAll(async () => {
  db?.close();
  await cluster?.stop();
});

const instances = async () => (await apiA("GET", "/v1/envs/production/instances", { key: t.viewer })).body;
const receipt = async (version: number) => (await apiA("GET", `/v1/envs/production/changes/${version}`, { key: t.viewer })).body;

const nodeOf = async (app: string): Promise<string> =>
  String((await db.execute({ sql: "SELECT DISTINCT node_id FROM stream_instances WHERE app = ?", args: [app] })).rows[0]!.node_id);
const nodesOf = async (app: string): Promise<number> =>
  (await db.execute({ sql: "SELECT DISTINCT node_id FROM stream_instances WHERE app = ?", args: [app] })).rows.length;
const heartbeatOf = async (nodeId: string): Promise<number> =>
  Number((await db.execute({ sql: "SELECT heartbeat_at FROM stream_nodes WHERE id = ?", args: [nodeId] })).rows[0]!.heartbeat_at);
/** B's last heartbeat, as if B had sent it `ageMs` ago. */
const ageHeartbeat = (nodeId: string, ageMs: number) =>
  db.execute({ sql: "UPDATE stream_nodes SET heartbeat_at = ? WHERE id = ?", args: [Date.now() - ageMs, nodeId] });
/** Resolves once node A has written two heartbeats: at least one whole round of A after the call. */
const roundOf = async (nodeId: string): Promise<void> => {
  const first = await heartbeatOf(nodeId);
  await waitFor(async () => (await heartbeatOf(nodeId)) > first, 20_000, "a heartbeat of A");
  const second = await heartbeatOf(nodeId);
  await waitFor(async () => (await heartbeatOf(nodeId)) > second, 20_000, "another heartbeat of A");
};

it(
  "keeps receipts incomplete while a dead node still counts, and completes them once it is gone",
  async () => {
    // Each node mirrors its instances into the table on its next round: wait for both.
    await waitFor(async () => (await nodesOf("on-a")) > 0 && (await nodesOf("on-b")) > 0, 20_000, "both nodes' instance rows");
    const [a, b] = [await nodeOf("on-a"), await nodeOf("on-b")];
    await nodeB.signal("SIGKILL");
    // B's last word, however long this machine takes from here: a heartbeat 10 minutes from now.
    await ageHeartbeat(b, -600_000);
    const kill = await apiA("POST", `/v1/envs/production/flags/${FLAG}/kill`, { key: t.operator, json: { reason: "after B died" } });
    expect(kill.status).toBe(200);
    const version: number = kill.body.version;
    await waitFor(() => onA.every(({ client }) => client.version >= version), 20_000, "A's clients at the kill");

    // A's own clients have acked, but B has not reported: not complete while B may still be alive.
    await waitFor(async () => (await receipt(version)).acked === PER_NODE, 20_000, "A's acks in the receipt");
    expect(await receipt(version)).toMatchObject({ version, acked: PER_NODE, pending: [], complete: false, status: "pending" });
    expect((await instances()).total).toBe(2 * PER_NODE); // B's rows still count

    // Silent for 20 s: still counts, after a whole round of A.
    await ageHeartbeat(b, GONE_AFTER_MS - 10_000);
    await roundOf(a);
    expect(await receipt(version)).toMatchObject({ acked: PER_NODE, complete: false });
    expect((await instances()).total).toBe(2 * PER_NODE);

    // Silent for 30 s: gone. Its instances leave, and the receipt is complete over A's.
    await ageHeartbeat(b, GONE_AFTER_MS);
    await waitFor(async () => (await receipt(version)).complete === true, 20_000, "the receipt to complete", 100);
    expect(await receipt(version)).toMatchObject({ version, connected: PER_NODE, acked: PER_NODE, pending: [], complete: true });
    const left = await instances();
    expect(left.total).toBe(PER_NODE);
    expect(left.items.map((i: { app: string }) => i.app)).toEqual(Array(PER_NODE).fill("on-a"));
  },
  120_000,
);
