/**
 * Hostile frames against the real server: a bare `ws` client holding a valid sdk
 * key sends what no SDK would. Each closes that socket only (1008, or 1009 for a
 * frame over the size limit), while a real SDK client on the same environment and
 * key stays connected and keeps receiving changes.
 */
import { CLOSE } from "@killswitch/sdk/protocol.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Api } from "../support/api.js";
import { startWithTenant } from "../support/contract-tenant.js";
import type { TestTenant } from "../support/tenants.js";
import { startInProcessServer, type InProcessServer } from "./support/in-process-server.js";
import { openRawSocket } from "./support/raw-socket.js";
import { closeClients, trackedClient, type TrackedClient } from "./support/sdk-clients.js";
import { waitFor } from "./support/wait-for.js";

const FLAG = "model.x";
const hello = { t: "hello", protocol: 1, sdk: "evil/1.0", app: "evil", instance: "evil-instance" };

/** Frames sent in order (after hello and its snapshot when `afterHello`), and the close code expected. */
const cases: [string, { afterHello: boolean; frames: (string | Buffer | object)[]; code: number }][] = [
  ["a frame that is not JSON", { afterHello: true, frames: ["{nope"], code: CLOSE.POLICY }],
  ["a binary frame", { afterHello: true, frames: [Buffer.from([0x7b, 0x7d])], code: CLOSE.POLICY }],
  ["a frame over the size limit", { afterHello: true, frames: [JSON.stringify({ t: "ack", v: 1, pad: "x".repeat(64 * 1024) })], code: CLOSE.TOO_BIG }],
  ["a frame over the size limit, before hello", { afterHello: false, frames: ["x".repeat(1024 * 1024)], code: CLOSE.TOO_BIG }],
  ["an unknown message type", { afterHello: true, frames: [{ t: "subscribe", env: "staging" }], code: CLOSE.POLICY }],
  ["an ack before hello", { afterHello: false, frames: [{ t: "ack", v: 1 }], code: CLOSE.POLICY }],
  ["hello twice", { afterHello: true, frames: [hello], code: CLOSE.POLICY }],
  ["an ack of a version never sent", { afterHello: true, frames: [{ t: "ack", v: 1e9 }], code: CLOSE.POLICY }],
];

let server: InProcessServer;
let api: Api;
let t: TestTenant;
let watcher: TrackedClient;
let connectedAt: string;

const instances = async (): Promise<{ instance: string; connectedAt: string }[]> =>
  (await api("GET", "/v1/envs/production/instances", { key: t.viewer })).body.items;

beforeAll(async () => {
  ({ target: server, api, t } = await startWithTenant(startInProcessServer));
  expect((await api("POST", "/v1/flags", { key: t.admin, json: { key: FLAG, kind: "boolean" } })).status).toBe(201);
  watcher = trackedClient({ url: server.baseUrl, sdkKey: t.sdk, app: "e2e-watcher" });
  expect(await watcher.client.ready({ timeoutMs: 20_000 })).toBe("ready");
  await waitFor(async () => (await instances()).length === 1, 20_000, "the watcher in the instance list");
  connectedAt = (await instances())[0]!.connectedAt;
});

afterAll(async () => {
  await closeClients();
  await server?.close();
});

describe("hostile frames on the real stream", () => {
  let enabled = true;

  it.each(cases)("%s closes that socket only", async (_name, { afterHello, frames, code }) => {
    const evil = await openRawSocket(server.baseUrl, t.sdk);
    if (afterHello) {
      evil.ws.send(JSON.stringify(hello));
      await evil.waitFor((m) => m !== "pong" && m.t === "snapshot");
    }
    for (const f of frames) {
      if (Buffer.isBuffer(f)) evil.ws.send(f, { binary: true });
      else evil.ws.send(typeof f === "string" ? f : JSON.stringify(f));
    }
    expect((await evil.closed).code).toBe(code);

    // The SDK client on the same key and environment still follows every change, on the same connection.
    enabled = !enabled;
    const change = await api("POST", `/v1/envs/production/flags/${FLAG}/${enabled ? "restore" : "kill"}`, {
      key: t.operator,
      json: { reason: "hostile frames test" },
    });
    expect(change.status).toBe(200);
    await waitFor(() => watcher.client.version === change.body.version, 20_000, "the change to reach the SDK client");
    expect(watcher.client.isEnabled(FLAG, { key: "u1" }, !enabled)).toBe(enabled);
    expect(watcher.errors).toEqual([]);
    expect(await instances()).toEqual([expect.objectContaining({ instance: watcher.client.instance, connectedAt })]);
  });
});
