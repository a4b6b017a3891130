import { rmSync } from "node:fs";
import { join } from "node:path";
import { CLOSE, type PatchMessage, type SnapshotMessage } from "@killswitch/sdk/protocol.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PropagationTracker } from "../../../src/node/stream/propagation-tracker.js";
import { nodeStreamHost } from "../../../src/node/stream/index.js";
import { startServer, type RunningServer } from "../../../src/node/server.js";
import { tempDir } from "../../support/temp-db.js";
import { TestClient } from "./harness.js";

let server: RunningServer;
let dir: string;
let admin: string;
let sdk: string;
// The server's clock, moved by hand: a receipt's commit time and latencies are exact.
const T0 = 1_800_000_000_000;
let clockAt = T0;
const clock = () => clockAt;

const api = async (method: string, path: string, body?: unknown, key = admin) => {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
};

beforeAll(async () => {
  dir = tempDir();
  server = await startServer({
    databaseUrl: `file:${join(dir, "killswitch.db")}`,
    host: "127.0.0.1",
    port: 0,
    clock,
    cluster: false,
    stream: nodeStreamHost({ onError: () => {}, now: clock, tracker: new PropagationTracker({ now: clock }) }),
  });
  admin = server.demo!.adminKey;
  sdk = server.demo!.sdkKey;
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the stream on the Node server", () => {
  it("pushes a kill to a connected SDK and proves it with a receipt and the instance list", async () => {
    const wsUrl = server.url.replace("http", "ws");
    const client = await TestClient.open(wsUrl, sdk);
    client.hello(undefined, "app-1");
    const snapshot = (await client.next()) as SnapshotMessage;
    expect(snapshot).toMatchObject({ t: "snapshot", env: "production" });
    expect(snapshot.flags["model.fable-5"]).toMatchObject({ enabled: true });

    const kill = await api("POST", "/v1/envs/production/flags/model.fable-5/kill", { reason: "directive EXPORT-1" });
    expect(kill.status).toBe(200);
    const patch = (await client.next()) as PatchMessage;
    expect(patch).toMatchObject({ t: "patch", v: kill.body.version, prev: snapshot.v });
    expect(patch.flags["model.fable-5"]).toMatchObject({ enabled: false });

    const before = await api("GET", `/v1/envs/production/changes/${kill.body.version}`);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ connected: 1, acked: 0, complete: false, pending: [{ instance: "app-1" }] });

    clockAt = T0 + 180; // a small step: the hub's idle sweep reads the same clock
    client.send({ t: "ack", v: patch.v });
    let receipt = before;
    for (let i = 0; i < 100 && !receipt.body.complete; i++) {
      await new Promise((r) => setTimeout(r, 10));
      receipt = await api("GET", `/v1/envs/production/changes/${kill.body.version}`);
    }
    expect(receipt.body).toMatchObject({ version: kill.body.version, connected: 1, acked: 1, pending: [], complete: true });
    expect(receipt.body.latencyMs).toEqual({ p50: 180, p99: 180, max: 180 });
    expect(receipt.body.committedAt).toBe(new Date(T0).toISOString());

    const instances = await api("GET", "/v1/envs/production/instances");
    expect(instances.status).toBe(200);
    expect(instances.body).toMatchObject({ total: 1, items: [{ instance: "app-1", appliedVersion: patch.v, app: "test" }] });
    client.close();
  });

  it("answers 404 for an untracked version or environment, 403 for an sdk key, 400 for a bad limit", async () => {
    expect((await api("GET", "/v1/envs/production/changes/999999")).status).toBe(404);
    expect((await api("GET", "/v1/envs/production/changes/abc")).status).toBe(404);
    expect((await api("GET", "/v1/envs/nowhere/changes/1")).status).toBe(404);
    expect((await api("GET", "/v1/envs/nowhere/instances")).status).toBe(404);
    expect((await api("GET", "/v1/envs/production/instances", undefined, sdk)).status).toBe(403);
    expect((await api("GET", "/v1/envs/production/instances?limit=0")).status).toBe(400);
    expect((await api("GET", "/v1/envs/production/instances?limit=5")).status).toBe(200);
  });

  it("refuses a non-sdk key at the upgrade and closes an sdk key's sockets with 4001 when it is revoked", async () => {
    const wsUrl = server.url.replace("http", "ws");
    await expect(TestClient.open(wsUrl, admin)).rejects.toThrow(/403/);
    await expect(TestClient.open(wsUrl, "ks_nope_nope")).rejects.toThrow(/401/);

    const created = await api("POST", "/v1/keys", { name: "to revoke", role: "sdk", env: "production" });
    expect(created.status).toBe(201);
    const client = await TestClient.open(wsUrl, created.body.secret);
    client.hello();
    await client.next();
    expect((await api("DELETE", `/v1/keys/${created.body.key.id}`)).status).toBe(204);
    expect(await client.closed).toMatchObject({ code: CLOSE.UNAUTHORIZED });
    await expect(TestClient.open(wsUrl, created.body.secret)).rejects.toThrow(/401/);
  });

  it("records a key's use at the upgrade on the server's clock: the stream shares the app's toucher", async () => {
    clockAt = T0 + 3_600_000; // past every earlier use's minute
    const created = await api("POST", "/v1/keys", { name: "first used on the stream", role: "sdk", env: "production" });
    expect(created.status).toBe(201);
    clockAt += 5_000;
    const client = await TestClient.open(server.url.replace("http", "ws"), created.body.secret);
    client.close();
    // Written in a batch a moment after the use.
    await expect
      .poll(async () => (await api("GET", "/v1/keys")).body.items.find((k: { id: string }) => k.id === created.body.key.id)?.lastUsedAt, { timeout: 10_000 })
      .toBe(new Date(clockAt).toISOString());
  });
});
