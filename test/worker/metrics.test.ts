/**
 * The Worker host's metrics under `wrangler dev`: `GET /v1/metrics` answered by
 * each tenant's own Durable Object to that tenant's admin keys, in the
 * Prometheus text format with the same names as the Node host, counting only
 * that tenant; counters that move after a kill, an OFREP call and a refused key,
 * and survive a restart of workerd; and the JSON log lines with request ids.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { METRICS } from "../../src/core/metrics-catalog.js";
import { waitFor } from "../e2e/support/wait-for.js";
import { parseScrape, type Scrape } from "../support/prometheus.js";
import { startWranglerDev, type WranglerDev } from "../support/wrangler-dev.js";
import { openStream } from "./stream-client.js";

const ROOT_TOKEN = randomBytes(24).toString("base64url");

let dev: WranglerDev;
let persistDir: string;

const start = () => startWranglerDev({ persistDir, logLevel: "log", vars: { KILLSWITCH_ROOT_TOKEN: ROOT_TOKEN, LOG_LEVEL: "debug" } });

beforeAll(async () => {
  persistDir = await mkdtemp(join(tmpdir(), "killswitch-worker-metrics-"));
  dev = await start();
}, 90_000);

afterAll(async () => {
  await dev?.stop();
  if (persistDir) await rm(persistDir, { recursive: true, force: true });
});

async function call(method: string, path: string, key?: string, json?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const all: Record<string, string> = { ...headers };
  if (key) all.authorization = `Bearer ${key}`;
  if (json !== undefined) all["content-type"] = "application/json";
  return fetch(`${dev.url}${path}`, { method, headers: all, body: json === undefined ? undefined : JSON.stringify(json) });
}

async function ok(method: string, path: string, key: string, json?: unknown): Promise<any> {
  const res = await call(method, path, key, json);
  const text = await res.text();
  expect(res.status, `${method} ${path}: ${text}\n${dev.output()}`).toBeLessThan(300);
  return text ? JSON.parse(text) : null;
}

interface Tenant {
  id: string;
  admin: string;
  keys: Record<"operator" | "viewer" | "sdk" | "revoked", string>;
}

async function tenant(name: string): Promise<Tenant> {
  const created = await ok("POST", "/v1/tenants", ROOT_TOKEN, { name });
  const admin: string = created.adminKey;
  const key = async (role: string, env?: string) => ok("POST", "/v1/keys", admin, { name: role, role, ...(env ? { env } : {}) });
  const revoked = await key("admin");
  await ok("DELETE", `/v1/keys/${revoked.key.id}`, admin, { reason: "rotation" });
  await ok("POST", "/v1/flags", admin, { key: "model.fable-5", kind: "boolean" });
  return {
    id: created.tenant.id,
    admin,
    keys: { operator: (await key("operator")).secret, viewer: (await key("viewer")).secret, sdk: (await key("sdk", "production")).secret, revoked: revoked.secret },
  };
}

async function scrape(t: Tenant): Promise<Scrape> {
  const res = await call("GET", "/v1/metrics", t.admin);
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return parseScrape(text);
}

const ofrep = (key: string) => call("POST", "/ofrep/v1/evaluate/flags/model.fable-5", key, { context: { targetingKey: "u1" } });

let a: Tenant;
let b: Tenant;

describe("GET /v1/metrics on the Worker host", () => {
  beforeAll(async () => {
    a = await tenant("metrics A");
    b = await tenant("metrics B");
  }, 60_000);

  it("answers the tenant's admin keys only: 401 without a key or with a revoked one, 403 to every other role", async () => {
    expect((await call("GET", "/v1/metrics")).status).toBe(401);
    expect((await call("GET", "/v1/metrics", a.keys.revoked)).status).toBe(401);
    for (const role of ["operator", "viewer", "sdk"] as const) {
      const res = await call("GET", "/v1/metrics", a.keys[role]);
      expect(res.status, role).toBe(403);
      expect((await res.json()).type).toBe("https://killswitch.dev/problems/forbidden");
    }
    expect((await call("GET", "/v1/metrics", a.admin)).status).toBe(200);
    expect((await call("GET", "/v1/metrics?name=x", a.admin)).status).toBe(400);
  });

  it("answers GET /metrics 404: the Worker has no process-wide view", async () => {
    expect((await call("GET", "/metrics", ROOT_TOKEN)).status).toBe(404);
  });

  it("renders the catalogue's metrics under the Node host's names", async () => {
    expect((await scrape(a)).names()).toEqual(Object.values(METRICS).map((spec) => spec.name));
  });

  it("moves after a kill, an OFREP call and a refused key, in that tenant's object only", async () => {
    const [beforeA, beforeB] = [await scrape(a), await scrape(b)];
    await ok("POST", "/v1/envs/production/flags/model.fable-5/kill", a.keys.operator, { reason: "directive" });
    expect((await ofrep(a.keys.sdk)).status).toBe(200);
    expect((await call("GET", "/v1/flags", a.keys.revoked)).status).toBe(401);
    const [afterA, afterB] = [await scrape(a), await scrape(b)];

    const kills = (s: Scrape) => s.value("killswitch_changes_committed_total", { action: "flag.kill" });
    const disabled = (s: Scrape) => s.value("killswitch_ofrep_evaluations_total", { reason: "DISABLED" });
    const unknownKeys = (s: Scrape) => s.value("killswitch_auth_failures_total", { reason: "unknown" });
    expect([kills(afterA), disabled(afterA), unknownKeys(afterA)]).toEqual([kills(beforeA) + 1, disabled(beforeA) + 1, unknownKeys(beforeA) + 1]);
    expect([kills(afterB), disabled(afterB), unknownKeys(afterB)]).toEqual([kills(beforeB), disabled(beforeB), unknownKeys(beforeB)]);
    const killRoute = { route: "/v1/envs/{env}/flags/{key}/kill", method: "POST", status: "200" };
    expect(afterA.count("killswitch_http_request_duration_seconds", killRoute)).toBe(1);
    expect(afterB.count("killswitch_http_request_duration_seconds", killRoute)).toBe(0);
  });

  it("reads the stream's connections per environment and times each instance's ack of a change", async () => {
    const client = await openStream(dev.url, ["killswitch.v1", a.keys.sdk]);
    try {
      client.ws.send(JSON.stringify({ t: "hello", protocol: 1, sdk: "metrics-test/1", app: "metrics", instance: "w-1" }));
      const snapshot = JSON.parse(await client.next());
      expect(snapshot.t).toBe("snapshot");
      client.ws.send(JSON.stringify({ t: "ack", v: snapshot.v }));
      const before = await scrape(a);
      expect(before.value("killswitch_sdk_connections", { env: "production" })).toBe(1);
      expect((await scrape(b)).labels("killswitch_sdk_connections")).toEqual([]);

      const restored = await ok("POST", "/v1/envs/production/flags/model.fable-5/restore", a.keys.operator, { reason: "lifted" });
      const patch = JSON.parse(await client.next());
      expect(patch).toMatchObject({ t: "patch", v: restored.version });
      expect((await scrape(a)).value("killswitch_changes_incomplete")).toBe(1);
      client.ws.send(JSON.stringify({ t: "ack", v: patch.v }));
      await waitFor(async () => (await scrape(a)).count("killswitch_change_apply_seconds") === before.count("killswitch_change_apply_seconds") + 1, 10_000, "the ack's observation");
      expect((await scrape(a)).value("killswitch_changes_incomplete")).toBe(0);
    } finally {
      client.ws.close();
    }
  });

  it("writes one JSON line per request with the id its answer carried, and commits and connects at LOG_LEVEL=debug", async () => {
    const answered = await call("GET", "/v1/flags", a.admin, undefined, { "x-request-id": "worker-log-test-1" });
    expect(answered.headers.get("x-request-id")).toBe("worker-log-test-1");
    const edge = await call("GET", "/healthz");
    const edgeId = edge.headers.get("x-request-id");
    expect(edgeId).toMatch(/^[0-9a-f-]{36}$/);
    const jsonLines = () =>
      dev
        .output()
        .split("\n")
        .map((line) => /(\{"level".*\})\s*$/.exec(line)?.[1])
        .filter((line): line is string => line !== undefined)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    await waitFor(() => jsonLines().some((line) => line.reqId === edgeId), 10_000, () => `the log lines in:\n${dev.output()}`);
    const lines = jsonLines();
    expect(lines.filter((line) => line.reqId === "worker-log-test-1")).toEqual([
      expect.objectContaining({ level: "info", msg: "request", method: "GET", route: "/v1/flags", status: 200, tenant: a.id, keyId: expect.stringMatching(/^key_/) }),
    ]);
    expect(lines.filter((line) => line.reqId === edgeId)).toEqual([expect.objectContaining({ msg: "request", route: "/healthz", status: 200 })]);
    expect(lines).toContainEqual(expect.objectContaining({ level: "debug", msg: "change committed", action: "flag.kill", tenant: a.id }));
    expect(lines).toContainEqual(expect.objectContaining({ level: "debug", msg: "sdk connected", instance: "w-1", tenant: a.id }));
    const output = dev.output();
    for (const secret of [a.admin, ...Object.values(a.keys), b.admin, ROOT_TOKEN]) expect(output).not.toContain(secret);
  });

  it("keeps the counts a scrape has seen across a restart of workerd", async () => {
    const before = await scrape(a);
    await dev.stop();
    dev = await start();
    const after = await scrape(a);
    expect(after.value("killswitch_changes_committed_total", { action: "flag.kill" })).toBe(before.value("killswitch_changes_committed_total", { action: "flag.kill" }));
    expect(after.value("killswitch_auth_failures_total", { reason: "unknown" })).toBe(before.value("killswitch_auth_failures_total", { reason: "unknown" }));
  }, 120_000);
});
