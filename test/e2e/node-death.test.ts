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

beforeAll(async () => {
  cluster = await startTwoProcesses("node death", FLAG, PER_NODE);
  ({ nodeB, apiA, t, onA } = cluster);
  await waitFor(async () => (await instances()).total === 2 * PER_NODE, 20_000, "both nodes' instances on A");
}, 120_000);

afterAll(() => cluster?.stop());

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
