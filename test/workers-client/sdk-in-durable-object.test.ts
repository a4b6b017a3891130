/**
 * The SDK's universal core, unchanged, inside a Durable Object under
 * `wrangler dev` (workerd): it streams from the real Node service over
 * workerd's global `WebSocket`, sees a kill, and is listed as an instance.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Api } from "../support/api.js";
import { startWithTenant } from "../support/contract-tenant.js";
import type { ContractTarget } from "../support/contract-target.js";
import type { TestTenant } from "../support/tenants.js";
import { startProbe, type Probe } from "./start-probe.js";

const FLAG = "model.fable-5";

let target: ContractTarget;
let api: Api;
let t: TestTenant;
let probe: Probe;

beforeAll(async () => {
  ({ target, api, t } = await startWithTenant());
  expect((await api("POST", "/v1/flags", { key: t.admin, json: { key: FLAG, kind: "boolean" } })).status).toBe(201);
  probe = await startProbe();
}, 120_000);

afterAll(async () => {
  await probe?.stop();
  await target?.close();
});

// Checked field by field below.
const probeGet = async (path: string): Promise<any> => {
  const res = await fetch(`${probe.url}${path}`, { signal: AbortSignal.timeout(20_000) });
  const body = await res.json();
  expect(res.status, `${path}: ${JSON.stringify(body)}\n${probe.output()}`).toBe(200);
  return body;
};

/** Polls `check` until it holds; fails with `what` and the last value after `timeoutMs`. */
async function until<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

it(
  "streams into a Durable Object, verifying each frame with workerd's WebCrypto: ready, on, killed to DISABLED, listed as an instance",
  async () => {
    const publicKey = (await api("GET", "/v1/envs/production/signing-key", { key: t.viewer })).body.keys[0].key as string;
    const start = await probeGet(`/start?url=${encodeURIComponent(target.baseUrl)}&key=${encodeURIComponent(t.sdk)}&publicKey=${publicKey}`);
    // No error event: the global WebSocket opened the stream, no fallback to polling.
    expect(start, JSON.stringify(start)).toMatchObject({ state: "ready", errors: [] });
    const instance: string = start.instance;

    const on = await probeGet(`/eval?flag=${FLAG}`);
    expect(on.result).toMatchObject({ value: true, variant: "on" });

    // The stream (not a poll) delivered it: the service lists the object's socket.
    const listed = await until(
      async () => (await api("GET", "/v1/envs/production/instances", { key: t.viewer })).body,
      (body) => body.items?.some((item: { instance: string }) => item.instance === instance),
      20_000,
      "the instance is listed",
    );
    expect(listed.items.find((item: { instance: string }) => item.instance === instance)).toMatchObject({ app: "workers-probe" });

    const kill = await api("POST", `/v1/envs/production/flags/${FLAG}/kill`, { key: t.operator, json: { reason: "workers probe" } });
    expect(kill.status, JSON.stringify(kill.body)).toBe(200);

    const off = await until(() => probeGet(`/eval?flag=${FLAG}`), (body) => body.result.reason === "DISABLED", 20_000, "the kill reaches the object");
    expect(off.result).toMatchObject({ value: false, variant: "off", reason: "DISABLED" });
    expect(off.version).toBe(kill.body.version);
  },
  90_000,
);
