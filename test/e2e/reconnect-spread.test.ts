/**
 * Reconnect spread against the real server: 1,000 SDK clients with the default
 * backoff (base 3 s, full jitter) are connected, the server restarts (its sockets
 * close with 1001, and it listens again on the same port and database), and the
 * reconnect delays the clients choose are spread out: no more than 5 % of them in
 * any 100 ms span of delay. Every client comes back, at the version it held.
 * (sdk/test/transport-spread.test.ts checks the same against a fake server; this
 * is the real hub, its shutdown and its upgrade path.)
 *
 * What is counted is the delays the clients choose, not when the server sees the
 * attempts: on a loaded machine a stalled event loop fires many timers at once,
 * whatever their delays were, and the arrivals bunch. The clients run in a process
 * of their own: in this one, the restart would hold their timers back.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Api } from "../support/api.js";
import { startWithTenant } from "../support/contract-tenant.js";
import type { TestTenant } from "../support/tenants.js";
import { startClientsProcess, type ClientsProcess } from "./support/clients-process-handle.js";
import { startInProcessServer, type InProcessServer } from "./support/in-process-server.js";
import { waitFor } from "./support/wait-for.js";

const CLIENTS = 1_000;
const WINDOW_MS = 100;

let server: InProcessServer;
let api: Api;
let t: TestTenant;
let clients: ClientsProcess | undefined;

beforeAll(async () => {
  ({ target: server, api, t } = await startWithTenant(startInProcessServer));
  expect((await api("POST", "/v1/flags", { key: t.admin, json: { key: "model.x", kind: "boolean" } })).status).toBe(201);
});

afterAll(async () => {
  await clients?.stop();
  await server?.close();
});

/** The largest number of times within any window of `width` ms (sliding, not bucketed). */
function busiestWindow(times: number[], width: number): number {
  const sorted = [...times].sort((x, y) => x - y);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= width) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

/** Connected instances; one item only: listing 1,000 every poll would load the server being measured. */
const connected = async (): Promise<number> =>
  (await api("GET", "/v1/envs/production/instances?limit=1", { key: t.viewer })).body.total;

it(
  "spreads the reconnects of 1,000 clients over a server restart: no more than 5 % of their delays in any 100 ms span",
  async () => {
    clients = await startClientsProcess(server.baseUrl, t.sdk, CLIENTS);
    expect(clients.ready).toBe(CLIENTS);
    await waitFor(async () => (await connected()) === CLIENTS, 30_000, "1,000 instances", 250);
    const version: number = (await api("GET", "/v1/snapshot", { key: t.sdk })).body.version;

    const before = server.upgrades.length;
    const chosenBefore = (await clients.reconnectDelays()).length;
    await server.restart();
    await waitFor(
      async () => (await connected()) === CLIENTS,
      40_000,
      () => `every client back (${server.upgrades.length - before} attempts so far)`,
      250,
    );

    // Each client chose a delay once its socket closed (more than one if an attempt found the
    // server still down), and each delay led to one upgrade request.
    const delays = (await clients.reconnectDelays()).slice(chosenBefore);
    expect(delays.length).toBeGreaterThanOrEqual(CLIENTS);
    expect(server.upgrades.length - before).toBeGreaterThanOrEqual(CLIENTS);
    // Each client's first delay after a drop is below 6 s (the backoff started over with the
    // data it applied); a retry's may be longer.
    expect(delays.filter((d) => d < 6_000).length).toBeGreaterThanOrEqual(CLIENTS);
    expect(busiestWindow(delays, WINDOW_MS)).toBeLessThanOrEqual(CLIENTS * 0.05);
    // And each one resumed at the version it held: nothing was lost over the restart.
    await waitFor(
      async () => {
        const { items } = (await api("GET", "/v1/envs/production/instances", { key: t.viewer })).body;
        return items.filter((i: { appliedVersion: number | null }) => i.appliedVersion === version).length === CLIENTS;
      },
      20_000,
      `every instance at version ${version}`,
      250,
    );
  },
  120_000,
);
