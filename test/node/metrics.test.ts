/**
 * `GET /metrics` on a real Node server (libsql file, sockets on 127.0.0.1),
 * read with a Prometheus text parser: counters that move after a kill, an OFREP
 * call and a refused key; the stream's gauges and apply times from a real
 * socket; no tenant, key or flag in any label; and the route's guard.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/node/server.js";
import { nodeStreamHost } from "../../src/node/stream/index.js";
import { openRawSocket } from "../e2e/support/raw-socket.js";
import { waitFor } from "../e2e/support/wait-for.js";
import { parseScrape, type Scrape } from "../support/prometheus.js";
import { tempDir } from "../support/temp-db.js";

const ROOT = "root-token-for-metrics";
const TOKEN = "metrics-token-for-tests";
const dir = tempDir();
let server: RunningServer;
let admin: string;
let sdk: string;
let sdkKeyId: string;
let tenantId: string;

async function call(method: string, path: string, key?: string, json?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (json !== undefined) headers["content-type"] = "application/json";
  return fetch(`${server.url}${path}`, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
}

async function scrape(): Promise<Scrape> {
  const res = await call("GET", "/metrics", TOKEN);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseScrape(await res.text());
}

const ofrep = (flag: string, key: string) =>
  fetch(`${server.url}/ofrep/v1/evaluate/flags/${flag}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ context: { targetingKey: "user-1" } }),
  });

beforeAll(async () => {
  server = await startServer({
    databaseUrl: `file:${join(dir, "metrics.db")}`,
    port: 0,
    rootToken: ROOT,
    metricsToken: TOKEN,
    stream: nodeStreamHost({ onError: () => {} }),
    onError: () => {},
  });
  const created = await (await call("POST", "/v1/tenants", ROOT, { name: "metrics" })).json();
  admin = created.adminKey;
  tenantId = created.tenant.id;
  const key = await (await call("POST", "/v1/keys", admin, { name: "app", role: "sdk", env: "production" })).json();
  sdk = key.secret;
  sdkKeyId = key.key.id;
  expect((await call("POST", "/v1/flags", admin, { key: "model.fable-5", kind: "boolean", reason: "set-up" })).status).toBe(201);
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("GET /metrics", () => {
  it("moves the commit, request and OFREP counters after a kill and an OFREP call", async () => {
    const before = await scrape();
    expect((await call("POST", "/v1/envs/production/flags/model.fable-5/kill", admin, { reason: "directive" })).status).toBe(200);
    expect((await ofrep("model.fable-5", sdk)).status).toBe(200);
    const after = await scrape();
    const kills = (s: Scrape) => s.value("killswitch_changes_committed_total", { action: "flag.kill" });
    expect(kills(after)).toBe(kills(before) + 1);
    const disabled = (s: Scrape) => s.value("killswitch_ofrep_evaluations_total", { reason: "DISABLED" });
    expect(disabled(after)).toBe(disabled(before) + 1);
    const killRoute = { route: "/v1/envs/{env}/flags/{key}/kill", method: "POST", status: "200" };
    expect(after.count("killswitch_http_request_duration_seconds", killRoute)).toBe(before.count("killswitch_http_request_duration_seconds", killRoute) + 1);
    const ofrepRoute = { route: "/ofrep/v1/evaluate/flags/{key}", method: "POST", status: "200" };
    expect(after.count("killswitch_http_request_duration_seconds", ofrepRoute)).toBe(1);
  });

  it("counts a refused key by reason", async () => {
    const before = await scrape();
    await call("GET", "/v1/flags", `ks_${tenantId}_${"B".repeat(43)}`);
    await call("GET", "/v1/flags");
    await ofrep("model.fable-5", admin); // a key of the wrong kind: 403
    const after = await scrape();
    for (const reason of ["unknown", "missing", "forbidden"]) {
      expect(after.value("killswitch_auth_failures_total", { reason }), reason).toBe(before.value("killswitch_auth_failures_total", { reason }) + 1);
    }
    expect(after.value("killswitch_auth_failures_total", { reason: "malformed" })).toBe(before.value("killswitch_auth_failures_total", { reason: "malformed" }));
  });

  it("reads SDK connections by environment, and times commit → ack per instance", async () => {
    const socket = await openRawSocket(server.url, sdk);
    try {
      socket.ws.send(JSON.stringify({ t: "hello", protocol: 1, sdk: "test/1", app: "metrics-test", instance: "i-1" }));
      const snapshot = await socket.waitFor((m) => m !== "pong" && m.t === "snapshot");
      socket.ws.send(JSON.stringify({ t: "ack", v: (snapshot as { v: number }).v }));
      const before = await scrape();
      expect(before.value("killswitch_sdk_connections", { env: "production" })).toBe(1);

      const restored = await (await call("POST", "/v1/envs/production/flags/model.fable-5/restore", admin, { reason: "lifted" })).json();
      await socket.waitFor((m) => m !== "pong" && m.t === "patch" && m.v === restored.version);
      // Committed, sent, not acked yet: this version is pending for the one instance connected at its commit.
      expect((await scrape()).value("killswitch_changes_incomplete")).toBe(1);
      socket.ws.send(JSON.stringify({ t: "ack", v: restored.version }));
      await waitFor(async () => (await scrape()).count("killswitch_change_apply_seconds") === before.count("killswitch_change_apply_seconds") + 1, 5_000, "the ack's observation");
      expect((await scrape()).value("killswitch_changes_incomplete")).toBe(0);
    } finally {
      socket.ws.close();
    }
    await waitFor(async () => (await scrape()).labels("killswitch_sdk_connections").length === 0, 5_000, "the connection's gauge to go");
  });

  it("names no tenant, key or flag in any label, and reports the process's default metrics", async () => {
    const res = await call("GET", "/metrics", TOKEN);
    const text = await res.text();
    for (const secretOrId of [tenantId, sdkKeyId, "model.fable-5", sdk, admin]) expect(text).not.toContain(secretOrId);
    const names = parseScrape(text).names();
    expect(names).toEqual(expect.arrayContaining(["process_cpu_user_seconds_total", "process_resident_memory_bytes", "nodejs_eventloop_lag_seconds"]));
    for (const name of names.filter((n) => n.startsWith("killswitch_"))) {
      for (const labels of parseScrape(text).labels(name)) {
        expect(Object.keys(labels).filter((l) => !["env", "action", "reason", "route", "method", "status", "outcome"].includes(l)), name).toEqual([]);
      }
    }
  });

  it("answers 401 without the token or with a wrong one, and 400 to a query", async () => {
    expect((await call("GET", "/metrics")).status).toBe(401);
    expect((await call("GET", "/metrics", `${TOKEN}x`)).status).toBe(401);
    expect((await call("GET", "/metrics", admin)).status).toBe(401);
    expect((await call("GET", "/metrics?format=json", TOKEN)).status).toBe(400);
  });

  it("answers 404 when KILLSWITCH_METRICS_TOKEN is not set, as for any unknown route", async () => {
    const bare = await startServer({ databaseUrl: `file:${join(dir, "bare.db")}`, port: 0, rootToken: ROOT, onError: () => {} });
    try {
      const res = await fetch(`${bare.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ status: 404, detail: "No route GET /metrics." });
    } finally {
      await bare.close();
    }
  });
});
