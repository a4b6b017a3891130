/**
 * A request that fails unexpectedly (500) is logged once by each host's log
 * (Node: pino, Workers: JSON on console.error), with its request id and the
 * error, never with the request's body or credentials; and nothing else logs
 * it again (onError is not told besides). And LOG_FORMAT=pretty gives a
 * person's lines, not JSON.
 */
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { silentBroadcaster } from "../../src/core/broadcaster.js";
import type { Telemetry } from "../../src/core/telemetry.js";
import { createApp } from "../../src/http/create-app.js";
import { logTelemetry } from "../../src/node/telemetry/log-telemetry.js";
import { createLogger, flushLogger } from "../../src/node/telemetry/logger.js";
import { workerLogTelemetry } from "../../src/worker/json-log.js";
import { openTempStore, type TempStore } from "../support/temp-db.js";

let t: TempStore;
afterEach(() => {
  vi.restoreAllMocks();
  t?.close();
});

const MARKER = "body-marker-7f3a9c";

/** POST /v1/flags whose store fails: answers the request id and the admin key it was sent with. */
async function failingWrite(telemetry: Telemetry) {
  t = await openTempStore();
  const { adminKey } = await t.store.createTenant({ name: "acme" });
  const errors: unknown[] = [];
  const app = createApp({
    store: { ...t.store, createFlag: () => Promise.reject(new Error("disk on fire")) },
    broadcaster: silentBroadcaster,
    telemetry,
    onError: (e) => errors.push(e),
  });
  const res = await app.request("/v1/flags", {
    method: "POST",
    headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
    body: JSON.stringify({ key: "model.a", kind: "boolean", description: MARKER, reason: MARKER }),
  });
  expect(res.status).toBe(500);
  const body = await res.json();
  expect(JSON.stringify(body)).not.toContain("disk on fire");
  return { requestId: res.headers.get("x-request-id")!, adminKey, errors };
}

function expectOneErrorLine(lines: Record<string, any>[], raw: string, requestId: string, adminKey: string, errors: unknown[]) {
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ level: "error", msg: "request failed", reqId: requestId, route: "/v1/flags", method: "POST", status: 500, keyId: expect.stringMatching(/^key_/) });
  expect(lines[0]!.err).toMatchObject({ message: "disk on fire", stack: expect.stringContaining("disk on fire") });
  expect(raw).not.toContain(MARKER);
  expect(raw).not.toContain(adminKey);
  expect(raw).not.toContain(adminKey.slice(14));
  expect(errors).toEqual([]);
}

describe("a failed request's log line", () => {
  it("on Node (pino): one line, with the request id and the error, without the body", async () => {
    let raw = "";
    const logger = await createLogger({ level: "info", format: "json", destination: { write: (line: string) => void (raw += line) } });
    const { requestId, adminKey, errors } = await failingWrite(logTelemetry(logger));
    const lines = raw.split("\n").filter(Boolean).map((line) => JSON.parse(line));
    expectOneErrorLine(lines, raw, requestId, adminKey, errors);
  });

  it("on Workers (console): one line, with the request id and the error, without the body", async () => {
    const written: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: string) => void written.push(line));
    vi.spyOn(console, "log").mockImplementation((line: string) => void written.push(line));
    const { requestId, adminKey, errors } = await failingWrite(workerLogTelemetry("debug"));
    const requestLines = written.map((line) => JSON.parse(line)).filter((line) => line.reqId !== undefined);
    expectOneErrorLine(requestLines, written.join("\n"), requestId, adminKey, errors);
  });
});

describe("LOG_FORMAT=pretty", () => {
  it("writes a line a person reads: time, level name and message, then the fields", async () => {
    const out = new PassThrough();
    let raw = "";
    out.on("data", (chunk: Buffer) => void (raw += chunk));
    const logger = await createLogger({ level: "info", format: "pretty", destination: out });
    logTelemetry(logger).requestServed({ requestId: "req-1", method: "GET", route: "/v1/flags", status: 200, durationMs: 1.5, tenantId: "k2v8x0q1zr", keyId: "key_4f0c2a9d1b7e" });
    await flushLogger(logger);
    await vi.waitFor(() => expect(raw).toContain("req-1"));
    expect(raw).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: request\n/);
    expect(raw).toContain('route: "/v1/flags"');
    expect(() => JSON.parse(raw)).toThrow();
  });
});
