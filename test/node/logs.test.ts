/**
 * The Node host's log, from `npm start`'s entry point in a child process taken
 * through a realistic session: a tenant and its keys, flag writes, OFREP, a
 * stream that connects, acks and is cut by a revocation, refused keys, unknown
 * routes, a scrape. Every line must parse as JSON; every request must have
 * exactly one line, found by the id its answer carried; and nothing the
 * process printed may contain a key's secret.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { rmSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { waitFor } from "../e2e/support/wait-for.js";
import { tempDir } from "../support/temp-db.js";

const MAIN = fileURLToPath(new URL("../../src/node/main.ts", import.meta.url));
const ROOT = "root-token-of-the-log-test";
const METRICS = "metrics-token-of-the-log-test";
const dir = tempDir();

interface LogLine {
  level: string;
  msg: string;
  reqId?: string;
  route?: string;
  status?: number;
  method?: string;
  ms?: number;
  tenant?: string;
  keyId?: string;
  [field: string]: unknown;
}

let child: ChildProcessByStdio<null, Readable, Readable>;
let stdout = "";
let stderr = "";
let url = "";
/** The id of every answer the session received, in order. */
const answered: { id: string; method: string; path: string; status: number }[] = [];
/** Every bearer token the session was given or created: none may be printed. */
const secrets: string[] = [ROOT, METRICS];

async function call(method: string, path: string, options: { key?: string; json?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.json !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${url}${path}`, { method, headers, body: options.json === undefined ? undefined : JSON.stringify(options.json) });
  const id = res.headers.get("x-request-id");
  expect(id, `${method} ${path} answered without x-request-id`).toBeTruthy();
  answered.push({ id: id!, method, path, status: res.status });
  const text = await res.text();
  return { status: res.status, body: text && /json/.test(res.headers.get("content-type") ?? "") ? JSON.parse(text) : text };
}

/** A stream socket that says hello and acks what it is sent; its upgrade's id is recorded like any answer's. */
async function openStream(key: string, instance: string) {
  const ws = new WebSocket(`${url.replace(/^http/, "ws")}/v1/stream`, ["killswitch.v1", key]);
  const frames: { t: string; v?: number }[] = [];
  ws.on("upgrade", (res: IncomingMessage) => answered.push({ id: String(res.headers["x-request-id"]), method: "GET", path: "/v1/stream", status: 101 }));
  ws.on("unexpected-response", (_req, res: IncomingMessage) => {
    answered.push({ id: String(res.headers["x-request-id"]), method: "GET", path: "/v1/stream", status: res.statusCode ?? 0 });
    ws.terminate(); // with this listener, ws leaves the refused request to us
  });
  ws.on("error", () => {});
  ws.on("message", (data) => {
    const text = String(data);
    if (text === "pong") return;
    const frame = JSON.parse(text) as { t: string; v?: number };
    frames.push(frame);
    if (frame.v !== undefined && frame.t !== "hb") ws.send(JSON.stringify({ t: "ack", v: frame.v }));
  });
  const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
  const opened = await new Promise<boolean>((resolve) => {
    ws.once("open", () => resolve(true));
    ws.once("close", () => resolve(false));
  });
  if (opened) ws.send(JSON.stringify({ t: "hello", protocol: 1, sdk: "log-test/1", app: "log-test", instance }));
  return { ws, frames, closed, opened };
}

function lines(): LogLine[] {
  return stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as LogLine);
}

beforeAll(async () => {
  child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: "0",
      DATABASE_URL: `file:${join(dir, "logs.db")}`,
      KILLSWITCH_ROOT_TOKEN: ROOT,
      KILLSWITCH_METRICS_TOKEN: METRICS,
      LOG_LEVEL: "debug",
      LOG_FORMAT: "json",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  await waitFor(() => /listening on (http:\/\/[^\s"]+)/.test(stdout) || child.exitCode !== null, 45_000, () => `the server to listen:\n${stdout}${stderr}`);
  url = /listening on (http:\/\/[^\s"]+)/.exec(stdout)![1]!;

  // The session.
  const tenant = (await call("POST", "/v1/tenants", { key: ROOT, json: { name: "log session" } })).body;
  const admin: string = tenant.adminKey;
  secrets.push(admin);
  const key = async (role: string, env?: string) => {
    const created = (await call("POST", "/v1/keys", { key: admin, json: { name: `${role} key`, role, ...(env ? { env } : {}) } })).body;
    secrets.push(created.secret);
    return created as { key: { id: string }; secret: string };
  };
  const operator = await key("operator");
  const viewer = await key("viewer");
  const sdk = await key("sdk", "production");
  const doomed = await key("sdk", "production");

  await call("POST", "/v1/flags", { key: operator.secret, json: { key: "model.fable-5", kind: "boolean" } });
  await call("PUT", "/v1/envs/production/segments/foreign", { key: operator.secret, json: { rules: [{ when: [{ attribute: "nationality", op: "notIn", values: ["US"] }] }], reason: "directive" } });
  const stream = await openStream(sdk.secret, "i-1");
  await waitFor(() => stream.frames.some((f) => f.t === "snapshot"), 10_000, "the snapshot");
  const doomedStream = await openStream(doomed.secret, "i-2");
  await waitFor(() => doomedStream.frames.some((f) => f.t === "snapshot"), 10_000, "the second snapshot");

  await call("POST", "/v1/envs/production/flags/model.fable-5/kill", { key: operator.secret, json: { reason: "EXPORT-2026-001" } });
  await call("POST", "/v1/envs/production/flags/model.fable-5/restore", { key: operator.secret, json: { reason: "lifted" } });
  const blocked = (await call("POST", "/v1/envs/production/flags/model.fable-5/block", { key: operator.secret, json: { reason: "directive", segment: "foreign" } })).body;
  await call("DELETE", `/v1/envs/production/flags/model.fable-5/rules/${blocked.ruleId}`, { key: operator.secret, json: { reason: "lifted" } });
  await call("POST", "/ofrep/v1/evaluate/flags/model.fable-5", { key: sdk.secret, json: { context: { targetingKey: "u1", nationality: "FR" } } });
  await call("POST", "/ofrep/v1/evaluate/flags", { headers: { "x-api-key": sdk.secret }, json: { context: { targetingKey: "u1" } } });
  await call("GET", "/v1/snapshot", { key: sdk.secret });
  await call("GET", "/v1/envs/production/flags/model.fable-5", { key: viewer.secret });
  await call("GET", "/v1/audit?limit=5", { key: viewer.secret });
  await call("GET", `/v1/envs/production/changes/${blocked.version}`, { key: viewer.secret });

  // Refusals, with secrets where a careless log would copy them: the path, the query, a header.
  await call("GET", "/v1/flags");
  await call("GET", "/v1/flags", { key: `${admin}x` });
  await call("GET", `/v1/flags/${admin}`, { key: viewer.secret });
  await call("GET", `/v1/flags?cursor=${sdk.secret}`, { key: viewer.secret });
  await call("POST", "/v1/keys", { key: viewer.secret, json: { name: "nope", role: "admin" } });
  await call("POST", "/v1/flags", { key: operator.secret, headers: { "content-type": "application/json" }, json: { key: "bad key!", kind: "boolean" } });
  await call("GET", `/nowhere/${sdk.secret}`);
  await call("POST", "/ofrep/v1/evaluate/flags/model.fable-5", { key: viewer.secret, json: { context: {} } });
  const refused = await openStream(`ks_${tenant.tenant.id}_${"C".repeat(43)}`, "i-3");
  expect(refused.opened).toBe(false);

  // A revocation closes the revoked key's socket; then the other socket leaves by itself.
  await call("DELETE", `/v1/keys/${doomed.key.id}`, { key: admin, json: { reason: "rotation" } });
  expect(await doomedStream.closed).toBe(4001);
  await call("GET", "/v1/flags", { key: doomed.secret });
  stream.ws.close();
  await stream.closed;
  await call("GET", "/metrics", { key: METRICS });
  await call("GET", "/healthz");

  // Every line is written before the process exits.
  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("exit", resolve));
}, 120_000);

afterAll(() => {
  if (child?.exitCode === null) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

describe("the Node host's log", () => {
  it("writes only JSON lines on stdout, and nothing on stderr", () => {
    expect(stderr).toBe("");
    const raw = stdout.split("\n").filter((line) => line !== "");
    expect(raw.length).toBeGreaterThan(answered.length);
    for (const line of raw) expect(() => JSON.parse(line), line).not.toThrow();
  });

  it("writes exactly one line per request, found by the id its answer carried", () => {
    const requests = lines().filter((line) => line.reqId !== undefined);
    expect(requests).toHaveLength(answered.length);
    for (const { id, method, path, status } of answered) {
      const found = requests.filter((line) => line.reqId === id);
      expect(found, `${method} ${path}`).toHaveLength(1);
      expect(found[0], `${method} ${path}`).toMatchObject({ method, status, ms: expect.any(Number), route: expect.stringMatching(/^(\/|\(unmatched\))/) });
    }
  });

  it("names route patterns, tenants and key ids, never a path, a query or a secret", () => {
    const requests = lines().filter((line) => line.reqId !== undefined);
    const routes = new Set(requests.map((line) => line.route));
    expect([...routes]).toEqual(expect.arrayContaining(["/v1/envs/{env}/flags/{key}/kill", "/v1/flags/{key}", "/v1/stream", "/ofrep/v1/evaluate/flags/{key}", "(unmatched)"]));
    const kill = requests.find((line) => line.route === "/v1/envs/{env}/flags/{key}/kill")!;
    expect(kill).toMatchObject({ level: "info", msg: "request", status: 200, tenant: expect.stringMatching(/^[a-z0-9]{10}$/), keyId: expect.stringMatching(/^key_/) });
    const ofrep = requests.find((line) => line.route === "/ofrep/v1/evaluate/flags/{key}" && line.status === 200)!;
    expect(ofrep.keyId).toMatch(/^key_/);
  });

  it("prints no key's secret, and neither the root nor the metrics token, anywhere", () => {
    const output = stdout + stderr;
    for (const token of secrets) {
      expect(output).not.toContain(token);
      // The secret part alone (after `ks_<tenant>_`), as a log might have cut it.
      const secret = /^ks_[a-z0-9]{10}_(.+)$/.exec(token)?.[1];
      if (secret) expect(output).not.toContain(secret);
    }
    expect(secrets.length).toBeGreaterThanOrEqual(7);
  });

  it("says at start which database, which port, and that there is no demo tenant", () => {
    const start = lines().find((line) => line.msg.startsWith("killswitch listening on"))!;
    expect(start).toMatchObject({ level: "info", port: Number(new URL(url).port), database: `file:${join(dir, "logs.db")}`, demoTenant: null, metrics: "/metrics" });
  });

  it("at debug, writes one line per committed change and per SDK connect and disconnect", () => {
    const commits = lines().filter((line) => line.msg === "change committed");
    expect(commits.map((line) => line.action)).toEqual([
      "tenant.create",
      "key.create",
      "key.create",
      "key.create",
      "key.create",
      "flag.create",
      "segment.create",
      "flag.kill",
      "flag.restore",
      "flag.block",
      "flag.rule.remove",
      "key.revoke",
    ]);
    expect(commits.every((line) => line.level === "debug")).toBe(true);
    const connects = lines().filter((line) => line.msg === "sdk connected");
    const disconnects = lines().filter((line) => line.msg === "sdk disconnected");
    expect(connects.map((line) => line.instance).sort()).toEqual(["i-1", "i-2"]);
    expect(disconnects.map((line) => [line.instance, line.code]).sort()).toEqual([
      ["i-1", 1005],
      ["i-2", 4001],
    ]);
  });
});
