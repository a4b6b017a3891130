/**
 * Review regression, end to end: two servers on one database file, a real SDK
 * client on A, a kill written through B. Until A's commit tail reads the kill,
 * A's client has not been sent it, so a receipt asked of A must not be
 * complete. A's tail polls slowly here only to hold open the window that its
 * 100 ms default (or a busy event loop, or a failed poll) opens anyway.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../../src/node/server.js";
import { nodeStreamHost } from "../../../src/node/stream/node-stream-host.js";
import { closeClients, trackedClient } from "../../e2e/support/sdk-clients.js";
import { waitFor } from "../../e2e/support/wait-for.js";
import { apiFor } from "../../support/api.js";
import { tempDir } from "../../support/temp-db.js";
import { createTenant } from "../../support/tenants.js";

const dir = tempDir();
const servers: RunningServer[] = [];

afterAll(async () => {
  await closeClients();
  for (const s of servers) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

it("a receipt asked of a node is not complete while that node's own client has not been sent the version", async () => {
  const databaseUrl = `file:${join(dir, "killswitch.db")}`;
  const rootToken = "root-token-for-review";
  const start = (tailIntervalMs: number) =>
    startServer({
      databaseUrl,
      host: "127.0.0.1",
      port: 0,
      rootToken,
      stream: nodeStreamHost({ onError: () => {} }),
      cluster: { tailIntervalMs, flushMs: 50 },
      onError: () => {},
    });
  const a = await start(3_600_000);
  servers.push(a);
  const b = await start(100);
  servers.push(b);
  const target = (s: RunningServer) => ({ baseUrl: s.url, rootToken, close: async () => {} });
  const apiA = apiFor(target(a));
  const apiB = apiFor(target(b));
  const t = await createTenant(target(a), apiA, "own tail lag");
  expect((await apiA("POST", "/v1/flags", { key: t.admin, json: { key: "f", kind: "boolean" } })).status).toBe(201);
  await a.cluster!.poll();

  const onA = trackedClient({ url: a.url, sdkKey: t.sdk, app: "on-a", reconnectDelayMs: 100 });
  expect(await onA.client.ready({ timeoutMs: 10_000 })).toBe("ready");
  const instancesOnB = async () => (await apiB("GET", "/v1/envs/production/instances", { key: t.viewer })).body.total;
  await waitFor(async () => (await instancesOnB()) === 1, 10_000, "B lists A's client");

  const killed = await apiB("POST", "/v1/envs/production/flags/f/kill", { key: t.operator, json: { reason: "INC-9" } });
  expect(killed.status).toBe(200);
  const version: number = killed.body.version;
  const receiptOnA = async () => (await apiA("GET", `/v1/envs/production/changes/${version}`, { key: t.viewer })).body;
  // B's mirror reports its share of the kill within a few 50 ms ticks.
  await new Promise((resolve) => setTimeout(resolve, 500));

  const early = await receiptOnA();
  expect(onA.client.version).toBeLessThan(version); // A has not sent it: its tail has not read it
  expect(early.complete, JSON.stringify(early)).not.toBe(true);

  await a.cluster!.poll();
  await waitFor(() => onA.client.version >= version, 10_000, "A's client at the kill");
  await waitFor(async () => (await receiptOnA()).complete === true, 10_000, "a complete receipt once A's client acked");
}, 60_000);
