/**
 * Two server processes (`npm start`'s main.ts) on one database file, as an
 * operator runs them behind a load balancer. SDK clients connect to one node or
 * the other; operators write through either. Checked:
 *
 * - a change written through node A reaches the clients on node B, and the other
 *   way round; OFREP on B serves a change made on A;
 * - the receipt and the instance list, asked of either node, count the clients
 *   of both, and show the version complete once every client has acked it;
 * - writes racing through both nodes all land, once each, with contiguous
 *   versions and an intact audit chain; every client ends on the last version;
 * - a key revoked through A closes its sockets on B (4001), and B refuses it;
 *   a key created on A works on B at once;
 * - a node that stops (SIGTERM) leaves the other's receipts and instance list.
 */
import { CLOSE } from "@killswitch/sdk/protocol.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Api } from "../support/api.js";
import { latenciesFromAckTimes } from "../support/receipt-latencies.js";
import type { TestTenant } from "../support/tenants.js";
import { openRawSocket, refusedUpgrade } from "./support/raw-socket.js";
import type { TrackedClient } from "./support/sdk-clients.js";
import type { ServerProcess } from "./support/server-process.js";
import { startTwoProcesses, type TwoProcesses } from "./support/two-processes.js";
import { waitFor } from "./support/wait-for.js";

const FLAG = "model.fable-5";
const PER_NODE = 3;
const RACING_WRITES = 20;
const us = { key: "u-us", nationality: "US" };

let cluster: TwoProcesses;
let nodeA: ServerProcess;
let nodeB: ServerProcess;
let apiA: Api;
let apiB: Api;
let t: TestTenant;
let onA: TrackedClient[];
let onB: TrackedClient[];

beforeAll(async () => {
  cluster = await startTwoProcesses("two nodes", FLAG, PER_NODE);
  ({ nodeA, nodeB, apiA, apiB, t, onA, onB } = cluster);
}, 120_000);

afterAll(() => cluster?.stop());

const all = (): TrackedClient[] => [...onA, ...onB];
const kill = async (api: Api, reason: string): Promise<number> => {
  const res = await api("POST", `/v1/envs/production/flags/${FLAG}/kill`, { key: t.operator, json: { reason } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.version;
};
const restore = async (api: Api, reason: string): Promise<number> => {
  const res = await api("POST", `/v1/envs/production/flags/${FLAG}/restore`, { key: t.operator, json: { reason } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.version;
};
const receipt = async (api: Api, version: number) => (await api("GET", `/v1/envs/production/changes/${version}`, { key: t.viewer })).body;
const instances = async (api: Api) => (await api("GET", "/v1/envs/production/instances", { key: t.viewer })).body;

describe("two nodes on one database", () => {
  it("list the instances of both nodes on either node", async () => {
    for (const api of [apiA, apiB]) {
      await waitFor(async () => (await instances(api)).total === 2 * PER_NODE, 20_000, "every instance on both nodes");
      const { items } = await instances(api);
      expect(items.map((i: { app: string }) => i.app).sort()).toEqual([...Array(PER_NODE).fill("on-a"), ...Array(PER_NODE).fill("on-b")]);
      expect(new Set(items.map((i: { instance: string }) => i.instance)).size).toBe(2 * PER_NODE);
    }
  });

  it("deliver a kill made through A to the clients on B, and count them all in the receipt", async () => {
    const version = await kill(apiA, "INC-1: cut off on every node");
    await waitFor(() => all().every(({ client }) => client.version >= version), 20_000, "every client at the kill");
    for (const { client } of all()) expect(client.isEnabled(FLAG, us, true)).toBe(false);
    for (const api of [apiA, apiB]) {
      await waitFor(async () => (await receipt(api, version)).complete === true, 20_000, `a complete receipt of ${version}`);
      const proof = await receipt(api, version);
      expect(proof).toMatchObject({ version, connected: 2 * PER_NODE, acked: 2 * PER_NODE, pending: [], complete: true });
      // Every client's last ack was of the kill, on either node: the merged receipt measured exactly those.
      const { items } = await instances(api);
      expect(items.map((i: { appliedVersion: number }) => i.appliedVersion)).toEqual(Array(2 * PER_NODE).fill(version));
      expect(proof.latencyMs).toEqual(latenciesFromAckTimes(proof.committedAt, items.map((i: { lastAckAt: string }) => i.lastAckAt)));
    }
  });

  it("deliver a restore made through B to the clients on A, and to OFREP on A", async () => {
    const version = await restore(apiB, "INC-1 lifted");
    await waitFor(() => all().every(({ client }) => client.version >= version), 20_000, "every client at the restore");
    for (const { client } of onA) expect(client.isEnabled(FLAG, us, false)).toBe(true);
    const ofrep = await apiA("POST", `/ofrep/v1/evaluate/flags/${FLAG}`, { key: t.sdk, json: { context: { targetingKey: "u-us" } } });
    expect(ofrep.status).toBe(200);
    expect(ofrep.body).toMatchObject({ key: FLAG, value: true });
    await waitFor(async () => (await receipt(apiA, version)).complete === true, 20_000, `a complete receipt of ${version} on A`);
    expect(await receipt(apiA, version)).toMatchObject({ connected: 2 * PER_NODE, acked: 2 * PER_NODE });
  });

  it("serialize writes racing through both nodes: each lands once, versions stay contiguous", async () => {
    const envs = (await apiA("GET", "/v1/envs", { key: t.viewer })).body.items as { key: string; version: number }[];
    const before = envs.find((e) => e.key === "production")!.version;
    const results = await Promise.all(
      Array.from({ length: RACING_WRITES }, (_, i) =>
        (i % 2 ? apiA : apiB)("POST", `/v1/envs/production/flags/${FLAG}/${i % 4 < 2 ? "kill" : "restore"}`, {
          key: t.operator,
          json: { reason: `race ${i}` },
        }),
      ),
    );
    for (const res of results) expect(res.status, JSON.stringify(res.body)).toBe(200);
    const versions = results.map((res) => res.body.version as number).sort((x, y) => x - y);
    expect(versions).toEqual(Array.from({ length: RACING_WRITES }, (_, i) => before + 1 + i));
    const last = versions[versions.length - 1]!;
    await waitFor(() => all().every(({ client }) => client.version === last), 20_000, "every client at the last racing write");
    // Versions a client applied only ever grow, wherever the change was written.
    for (const { versions: applied } of all()) expect([...applied].sort((x, y) => x - y)).toEqual(applied);
    const verified = await apiB("GET", "/v1/audit/verify", { key: t.admin });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ ok: true });
  });

  it("follow keys across nodes: a key made on A works on B; revoked on A, its sockets on B close", async () => {
    const created = await apiA("POST", "/v1/keys", { key: t.admin, json: { name: "doomed", role: "sdk", env: "production" } });
    expect(created.status).toBe(201);
    const socket = await openRawSocket(nodeB.url, created.body.secret);
    socket.ws.send(JSON.stringify({ t: "hello", protocol: 1, sdk: "raw/1", app: "doomed", instance: "doomed-1" }));
    await socket.waitFor((m) => m !== "pong" && m.t === "snapshot");
    // B has now read the key and keeps it in memory: only the tail can tell it of the revocation.
    expect((await apiA("DELETE", `/v1/keys/${created.body.key.id}`, { key: t.admin })).status).toBe(204);
    expect(await socket.closed).toMatchObject({ code: CLOSE.UNAUTHORIZED });
    expect((await refusedUpgrade(nodeB.url, created.body.secret)).status).toBe(401);
    const snapshot = await apiB("GET", "/v1/envs/production/snapshot", { key: created.body.secret });
    expect(snapshot.status).toBe(401);
  });

  it("forget a node that stops: its instances leave the other's list and receipts", async () => {
    await nodeB.signal("SIGTERM");
    await waitFor(async () => (await instances(apiA)).total === PER_NODE, 20_000, "only A's instances");
    // B's clients cannot reach their node; the next kill counts A's clients only.
    const version = await kill(apiA, "after B left");
    await waitFor(async () => (await receipt(apiA, version)).complete === true, 20_000, "a complete receipt on A alone");
    expect(await receipt(apiA, version)).toMatchObject({ connected: PER_NODE, acked: PER_NODE });
  });
});
