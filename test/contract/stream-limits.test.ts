/**
 * The stream's `resync` on both hosts: it answers the environment's current
 * snapshot, and a socket that asks in a loop is closed with 1008 once past
 * its allowance (5 at once, then 1 every 12 s; src/core/stream/limits.ts),
 * while a kill committed during the flood is answered and reaches the other
 * sockets. How fast the kill is answered during a flood is measured by
 * bench/stream-abuse/, not here.
 */
import { CLOSE, SUBPROTOCOL } from "@killswitch/sdk/protocol.js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { apiFor, type Api } from "../support/api.js";
import { startContractTarget, type ContractTarget } from "../support/contract-target.js";
import { createTenant, type TestTenant } from "../support/tenants.js";
import { openStream, type StreamClient } from "../worker/stream-client.js";

const FLAG = "model.x";

let target: ContractTarget;
let api: Api;
let t: TestTenant;

beforeAll(async () => {
  target = await startContractTarget();
  api = apiFor(target);
  t = await createTenant(target, api, "stream-limits");
  expect((await api("POST", "/v1/flags", { key: t.admin, json: { key: FLAG, kind: "boolean" } })).status).toBe(201);
});

afterAll(() => target.close());

async function helloed(instance: string): Promise<{ client: StreamClient; v: number }> {
  const client = await openStream(target.baseUrl, [SUBPROTOCOL, t.sdk]);
  client.ws.send(JSON.stringify({ t: "hello", protocol: 1, sdk: "contract/1", app: "stream-limits", instance }));
  const first = JSON.parse(await client.next());
  expect(first).toMatchObject({ t: "snapshot" });
  return { client, v: first.v };
}

/** Text frames that arrived before `client` was closed, in order. */
async function framesUntilClosed(client: StreamClient): Promise<string[]> {
  await client.closed;
  const frames: string[] = [];
  for (;;) {
    const frame = await client.next(50).catch(() => null);
    if (frame === null) return frames;
    frames.push(frame);
  }
}

it("closes a socket that floods resync with 1008 after its allowance, and a kill sent meanwhile is answered and delivered", async () => {
  const watcher = await helloed("watcher");
  const flooder = await helloed("flooder");
  for (let i = 0; i < 1_000; i++) flooder.client.ws.send(JSON.stringify({ t: "resync" }));
  const kill = await api("POST", `/v1/envs/production/flags/${FLAG}/kill`, { key: t.operator, json: { reason: "during a flood" } });
  expect(kill.status).toBe(200);

  expect(await flooder.client.closed).toEqual({ code: CLOSE.POLICY, reason: "too many resync: at most 5, then 1 per 12 s" });
  const received = (await framesUntilClosed(flooder.client)).map((f) => JSON.parse(f) as { t: string });
  expect(received.filter((m) => m.t === "snapshot").length).toBeLessThanOrEqual(5);

  const patch = JSON.parse(await watcher.client.next());
  expect(patch).toMatchObject({ t: "patch", v: kill.body.version, flags: { [FLAG]: { enabled: false } } });
  watcher.client.ws.close();
});

it("answers resync with the environment's current snapshot", async () => {
  const { client, v } = await helloed("resyncing");
  const restore = await api("POST", `/v1/envs/production/flags/${FLAG}/restore`, { key: t.operator, json: { reason: "back" } });
  expect(restore.status).toBe(200);
  expect(JSON.parse(await client.next())).toMatchObject({ t: "patch", prev: v, v: restore.body.version });
  client.ws.send(JSON.stringify({ t: "resync" }));
  const snapshot = JSON.parse(await client.next());
  expect(snapshot).toMatchObject({ t: "snapshot", v: restore.body.version, flags: { [FLAG]: { enabled: true } } });
  client.ws.close();
});
