/**
 * A node that dies without a word (SIGKILL), beside a live one on the same
 * database file. Until the dead node has been silent for 30 s it still counts:
 * a receipt asked of the live node for a change made after the death is not
 * complete, because the dead node never reported its share (its instances may
 * not have the change). Once it counts as gone, the receipt is complete over
 * the live node's instances, and the instance list holds only those.
 *
 * Bounded: one wait of at most 45 s for the 30 s silence.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { base64url, randomBytes } from "../../src/core/crypto.js";
import { apiFor, type Api } from "../support/api.js";
import { tempDir } from "../support/temp-db.js";
import { createTenant, type TestTenant } from "../support/tenants.js";
import { closeClients, trackedClient, type TrackedClient } from "./support/sdk-clients.js";
import { startServerProcess, type ServerProcess } from "./support/server-process.js";
import { waitFor } from "./support/wait-for.js";

const FLAG = "model.fable-5";
const PER_NODE = 2;
/** DESIGN: a node silent for 30 s counts as gone. */
const GONE_AFTER_MS = 30_000;

let dir: string;
let nodeA: ServerProcess;
let nodeB: ServerProcess;
let apiA: Api;
let t: TestTenant;
let onA: TrackedClient[];

beforeAll(async () => {
  dir = tempDir();
  const databaseUrl = `file:${join(dir, "killswitch.db")}`;
  const rootToken = `root-${base64url(randomBytes(24))}`;
  nodeA = await startServerProcess({ databaseUrl, rootToken });
  nodeB = await startServerProcess({ databaseUrl, rootToken });
  const target = { baseUrl: nodeA.url, rootToken, close: async () => {} };
  apiA = apiFor(target);
  t = await createTenant(target, apiA, "node death");
  expect((await apiA("POST", "/v1/flags", { key: t.admin, json: { key: FLAG, kind: "boolean" } })).status).toBe(201);
  const clients = (node: ServerProcess, app: string) =>
    Array.from({ length: PER_NODE }, () => trackedClient({ url: node.url, sdkKey: t.sdk, app, reconnectDelayMs: 100 }));
  onA = clients(nodeA, "on-a");
  const onB = clients(nodeB, "on-b");
  expect(await Promise.all([...onA, ...onB].map(({ client }) => client.ready({ timeoutMs: 20_000 })))).toEqual(
    Array(2 * PER_NODE).fill("ready"),
  );
  await waitFor(async () => (await instances()).total === 2 * PER_NODE, 20_000, "both nodes' instances on A");
}, 120_000);

afterAll(async () => {
  await closeClients();
  await nodeA?.signal("SIGKILL");
  await nodeB?.signal("SIGKILL");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const instances = async () => (await apiA("GET", "/v1/envs/production/instances", { key: t.viewer })).body;
const receipt = async (version: number) => (await apiA("GET", `/v1/envs/production/changes/${version}`, { key: t.viewer })).body;

it(
  "keeps receipts incomplete while a dead node still counts, and completes them once it is gone",
  async () => {
    await nodeB.signal("SIGKILL");
    const diedAt = Date.now();
    const kill = await apiA("POST", `/v1/envs/production/flags/${FLAG}/kill`, { key: t.operator, json: { reason: "after B died" } });
    expect(kill.status).toBe(200);
    const version: number = kill.body.version;
    await waitFor(() => onA.every(({ client }) => client.version >= version), 20_000, "A's clients at the kill");

    // A's own clients have acked, but B has not reported: not complete while B may still be alive.
    await waitFor(async () => (await receipt(version)).acked === PER_NODE, 20_000, "A's acks in the receipt");
    const early = await receipt(version);
    if (Date.now() - diedAt < GONE_AFTER_MS - 5_000) {
      expect(early).toMatchObject({ version, acked: PER_NODE, complete: false });
      expect((await instances()).total).toBe(2 * PER_NODE); // B's rows still count
    }

    // 30 s after B's last heartbeat it is gone: its instances leave, and the receipt is complete over A's.
    await waitFor(async () => (await receipt(version)).complete === true, GONE_AFTER_MS + 15_000, "the receipt to complete", 500);
    expect(Date.now() - diedAt).toBeGreaterThan(GONE_AFTER_MS - 2_000);
    expect(await receipt(version)).toMatchObject({ version, connected: PER_NODE, acked: PER_NODE, pending: [], complete: true });
    const left = await instances();
    expect(left.total).toBe(PER_NODE);
    expect(left.items.map((i: { app: string }) => i.app)).toEqual(Array(PER_NODE).fill("on-a"));
  },
  90_000,
);
