/**
 * Keys on the real stream: revoking an sdk key closes its live SDK sockets at once
 * (4001) and those clients stop reconnecting, while other keys' clients carry on;
 * a key forged across tenants, or one that is not an sdk key, is refused at the
 * upgrade; and a key only ever streams its own tenant's own environment.
 */
import { CLOSE, type ServerMessage } from "@killswitch/sdk/protocol.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiFor, type Api } from "../support/api.js";
import { createTenant, type TestTenant } from "../support/tenants.js";
import { startInProcessServer, type InProcessServer } from "./support/in-process-server.js";
import { openRawSocket, refusedUpgrade } from "./support/raw-socket.js";
import { closeClients, tappedWebSocket, trackedClient } from "./support/sdk-clients.js";
import { sleep, waitFor } from "./support/wait-for.js";

const FLAG = "model.x";
/** A short backoff base: a client that kept reconnecting would try many times within the wait below. */
const RECONNECT_BASE_MS = 100;

let server: InProcessServer;
let api: Api;
let a: TestTenant;
let b: TestTenant;

beforeAll(async () => {
  server = await startInProcessServer();
  api = apiFor(server);
  a = await createTenant(server, api, "tenant a");
  b = await createTenant(server, api, "tenant b");
  expect((await api("POST", "/v1/flags", { key: a.admin, json: { key: FLAG, kind: "boolean" } })).status).toBe(201);
  expect((await api("POST", "/v1/envs", { key: a.admin, json: { key: "staging" } })).status).toBe(201);
});

afterAll(async () => {
  await closeClients();
  await server?.close();
});

const sdkKey = async (t: TestTenant, env: string): Promise<{ id: string; secret: string }> => {
  const res = await api("POST", "/v1/keys", { key: t.admin, json: { name: `sdk ${env}`, role: "sdk", env } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.key.id, secret: res.body.secret };
};

const instances = async (): Promise<{ instance: string; connectedAt: string }[]> =>
  (await api("GET", "/v1/envs/production/instances", { key: a.viewer })).body.items;

const kill = async (reason: string): Promise<number> => {
  const res = await api("POST", `/v1/envs/production/flags/${FLAG}/kill`, { key: a.operator, json: { reason } });
  expect(res.status).toBe(200);
  return res.body.version;
};

describe("a revoked sdk key", () => {
  it(
    "closes its live sockets with 4001 at once, and its SDK clients stop reconnecting",
    async () => {
      const doomed = await sdkKey(a, "production");
      const attemptsOf = (key: string) => server.upgrades.filter((u) => u.key === key).length;
      const revoked = Array.from({ length: 3 }, () =>
        trackedClient({ url: server.baseUrl, sdkKey: doomed.secret, app: "e2e-revoked", reconnectDelayMs: RECONNECT_BASE_MS }),
      );
      const keeper = trackedClient({ url: server.baseUrl, sdkKey: a.sdk, app: "e2e-keeper", reconnectDelayMs: RECONNECT_BASE_MS });
      const all = [...revoked, keeper];
      expect(await Promise.all(all.map(({ client }) => client.ready({ timeoutMs: 20_000 })))).toEqual(Array(4).fill("ready"));
      const raw = await openRawSocket(server.baseUrl, doomed.secret);
      raw.ws.send(JSON.stringify({ t: "hello", protocol: 1, sdk: "raw/1.0", app: "e2e-raw", instance: "raw-instance" }));
      await raw.waitFor((m) => m !== "pong" && m.t === "snapshot");
      await waitFor(async () => (await instances()).length === 5, 20_000, "five instances");
      const keeperSince = (await instances()).find((i) => i.instance === keeper.client.instance)!.connectedAt;
      const before = revoked[0]!.client.version;

      expect((await api("DELETE", `/v1/keys/${doomed.id}`, { key: a.admin })).status).toBe(204);
      expect(await raw.closed).toMatchObject({ code: CLOSE.UNAUTHORIZED });
      await waitFor(
        async () => (await instances()).map((i) => i.instance).join() === keeper.client.instance,
        20_000,
        "only the keeper in the instance list",
      );

      // Had they kept reconnecting, each would have tried several times by now (each delay is under 2 × 100 ms at first).
      const attempts = attemptsOf(doomed.secret);
      await sleep(20 * RECONNECT_BASE_MS);
      expect(attemptsOf(doomed.secret)).toBe(attempts);
      expect(await instances()).toEqual([expect.objectContaining({ instance: keeper.client.instance, connectedAt: keeperSince })]);

      // Changes reach the keeper, not the revoked clients, which keep answering from memory.
      const version = await kill("after the revocation");
      await waitFor(() => keeper.client.version === version, 20_000, "the change to reach the keeper");
      expect(keeper.client.isEnabled(FLAG, { key: "u1" }, true)).toBe(false);
      for (const { client } of revoked) {
        expect(client.version).toBe(before);
        expect(client.isEnabled(FLAG, { key: "u1" }, false)).toBe(true);
      }

      // A client started with the revoked key is refused; it knows nothing and gives up.
      expect((await refusedUpgrade(server.baseUrl, doomed.secret)).status).toBe(401);
      const late = trackedClient({ url: server.baseUrl, sdkKey: doomed.secret, app: "e2e-late", reconnectDelayMs: RECONNECT_BASE_MS });
      expect(await late.client.ready({ timeoutMs: 3_000 })).toBe("defaults");
      const lateAttempts = attemptsOf(doomed.secret);
      await sleep(20 * RECONNECT_BASE_MS);
      expect(attemptsOf(doomed.secret)).toBe(lateAttempts);
      expect(late.errors.length).toBeGreaterThan(0);
    },
    60_000,
  );
});

describe("keys at the upgrade", () => {
  it("refuses a key forged across tenants (401) and a key that is not an sdk key (403)", async () => {
    const secretOf = (key: string): string => key.split("_").slice(2).join("_"); // base64url: the secret may hold "_"
    for (const forged of [`ks_${b.id}_${secretOf(a.sdk)}`, `ks_${a.id}_${secretOf(b.sdk)}`]) {
      const refused = await refusedUpgrade(server.baseUrl, forged);
      expect(refused).toMatchObject({ status: 401, body: { status: 401 } });
    }
    for (const key of [a.admin, a.operator, a.viewer]) {
      expect((await refusedUpgrade(server.baseUrl, key)).status).toBe(403);
    }
    expect((await refusedUpgrade(server.baseUrl, a.revoked)).status).toBe(401);
  });

  it(
    "streams a key's own tenant and environment only",
    async () => {
      // Their frames are recorded: a leaked patch would show even where the SDK would resync it away.
      const stagingFrames: ServerMessage[] = [];
      const otherFrames: ServerMessage[] = [];
      const staging = trackedClient({
        url: server.baseUrl,
        sdkKey: (await sdkKey(a, "staging")).secret,
        app: "e2e-staging",
        WebSocket: tappedWebSocket({ record: (m) => stagingFrames.push(m) }),
      });
      const other = trackedClient({ url: server.baseUrl, sdkKey: b.sdk, app: "e2e-other", WebSocket: tappedWebSocket({ record: (m) => otherFrames.push(m) }) });
      const production = trackedClient({ url: server.baseUrl, sdkKey: a.sdk, app: "e2e-production" });
      for (const { client } of [staging, other, production]) expect(await client.ready({ timeoutMs: 20_000 })).toBe("ready");
      expect(staging.client.env).toBe("staging");
      expect(other.client.env).toBe("production");

      const restore = await api("POST", `/v1/envs/production/flags/${FLAG}/restore`, { key: a.operator, json: { reason: "scope" } });
      expect(restore.status).toBe(200);
      const version = await kill("a production-only change");
      await waitFor(() => production.client.version === version, 20_000, "the change to reach production");
      // Then one change in each of the others: it arrives after anything that leaked.
      const stagingKill = await api("POST", `/v1/envs/staging/flags/${FLAG}/kill`, { key: a.operator, json: { reason: "staging only" } });
      expect(stagingKill.status).toBe(200);
      expect((await api("POST", "/v1/flags", { key: b.admin, json: { key: "model.b", kind: "boolean" } })).status).toBe(201);
      await waitFor(() => staging.client.version === stagingKill.body.version, 20_000, "the staging change");
      await waitFor(() => other.client.evaluate("model.b", { key: "u1" }, false).value === true, 20_000, "tenant b's change");

      const shape = (frames: ServerMessage[]) => frames.map((m) => [m.t, Object.keys("flags" in m ? m.flags : {})]);
      expect(shape(stagingFrames)).toEqual([["snapshot", [FLAG]], ["patch", [FLAG]]]);
      expect(stagingFrames[1]).toMatchObject({ t: "patch", v: stagingKill.body.version, flags: { [FLAG]: { enabled: false } } });
      expect(shape(otherFrames)).toEqual([["snapshot", []], ["patch", ["model.b"]]]);
      expect(staging.client.isEnabled(FLAG, { key: "u1" }, true)).toBe(false);
      expect(other.client.evaluate(FLAG, { key: "u1" }, false)).toMatchObject({ value: false, reason: "ERROR", errorCode: "FLAG_NOT_FOUND" });
    },
    60_000,
  );
});
