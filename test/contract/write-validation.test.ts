/**
 * What the admin API refuses so that SDKs never receive what they cannot
 * compile (the two reproductions), the reason every write SDKs serve
 * from needs, and a PUT that changes nothing: no version, no audit entry,
 * nothing pushed to a connected SDK. On both hosts.
 */
import type { ServerMessage } from "@killswitch/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { Api } from "../support/api.js";
import { seedFableAndForeignNationals, startWithTenant } from "../support/contract-tenant.js";
import type { ContractTarget } from "../support/contract-target.js";
import type { TestTenant } from "../support/tenants.js";

let target: ContractTarget;
let api: Api;
let t: TestTenant;

beforeAll(async () => {
  ({ target, api, t } = await startWithTenant());
  await seedFableAndForeignNationals(api, t);
  await api("POST", "/v1/attributes", { key: t.admin, json: { name: "signup", type: "instant" } });
  await api("POST", "/v1/attributes", { key: t.admin, json: { name: "appVersion", type: "semver" } });
});
afterAll(() => target.close());

const FLAG = "/v1/envs/production/flags/model.fable-5";
const config = async (): Promise<any> => (await api("GET", FLAG, { key: t.viewer })).body;
const auditHead = async (): Promise<number> => (await api("GET", "/v1/audit?limit=1", { key: t.viewer })).body.items[0].seq;

describe("values every SDK would refuse", () => {
  it.each([
    ["February 30", { attribute: "signup", op: "before", values: ["2026-02-30T00:00:00Z"] }],
    ["hour 24", { attribute: "signup", op: "after", values: ["2026-01-01T24:00:00Z"] }],
    ["a version over 256 characters", { attribute: "appVersion", op: "semverLt", values: ["1.2.3-" + "a".repeat(300)] }],
  ])("refuse a block on %s at the value's path, and change nothing", async (_name, condition) => {
    const before = await config();
    const res = await api("POST", `${FLAG}/block`, { key: t.operator, json: { reason: "x", when: [condition] } });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ path: "when[0].values[0]" })]);
    expect(await config()).toEqual(before);
  });

  it("accept what the SDK reads: a bare date, the last leap day, a 256-character version", async () => {
    const res = await api("POST", `${FLAG}/block`, {
      key: t.operator,
      json: {
        reason: "x",
        when: [
          { attribute: "signup", op: "before", values: ["2026-03-01", "2024-02-29T23:59:59Z"] },
          { attribute: "appVersion", op: "semverLt", values: ["1.2.3-" + "a".repeat(250)] },
        ],
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await api("DELETE", `${FLAG}/rules/${res.body.ruleId}`, { key: t.operator, json: { reason: "cleanup" } });
  });
});

describe("a reason", () => {
  it("is required to PUT a config or a segment, and to change variants", async () => {
    const { version: _version, ...body } = await config();
    const put = await api("PUT", FLAG, { key: t.operator, json: { ...body, failMode: "closed" } });
    expect([put.status, put.body.errors[0].path]).toEqual([400, "reason"]);
    const segment = await api("PUT", "/v1/envs/production/segments/staff", { key: t.operator, json: { include: ["u1"] } });
    expect([segment.status, segment.body.errors[0].path]).toEqual([400, "reason"]);
    const variants = await api("PATCH", "/v1/flags/model.fable-5", { key: t.operator, json: { variants: { on: true, off: false, maybe: false } } });
    expect([variants.status, variants.body.errors[0].path]).toEqual([400, "reason"]);
    // Description and tags never reach SDKs.
    expect((await api("PATCH", "/v1/flags/model.fable-5", { key: t.operator, json: { description: "Fable" } })).status).toBe(200);
  });
});

/** An SDK connection on the raw protocol: the frames it receives after the snapshot. */
async function connect(): Promise<{ snapshot: ServerMessage; next: () => Promise<ServerMessage>; close: () => void }> {
  const ws = new WebSocket(`${target.baseUrl.replace(/^http/, "ws")}/v1/stream`, ["killswitch.v1", t.sdk]);
  const frames: ServerMessage[] = [];
  let wake: (() => void) | undefined;
  ws.on("message", (data) => {
    const frame = JSON.parse(String(data)) as ServerMessage;
    // Heartbeats say nothing about changes.
    if (frame.t === "hb") return;
    frames.push(frame);
    wake?.();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  ws.send(JSON.stringify({ t: "hello", protocol: 1, sdk: "contract/1", app: "no-op", instance: "no-op-1" }));
  const next = async (): Promise<ServerMessage> => {
    while (frames.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return frames.shift()!;
  };
  return { snapshot: await next(), next, close: () => ws.terminate() };
}

describe("a PUT that changes nothing", () => {
  it("answers the current config at its version, audits nothing and pushes nothing to a connected SDK", async () => {
    const sdk = await connect();
    try {
      expect(sdk.snapshot).toMatchObject({ t: "snapshot" });
      const v = (sdk.snapshot as { v: number }).v;
      const current = await config();
      const seq = await auditHead();
      const same = await api("PUT", FLAG, { key: t.operator, json: { ...current, reason: "no-op" } });
      expect([same.status, same.body]).toEqual([200, current]);
      const segment = (await api("GET", "/v1/envs/production/segments/foreign-nationals", { key: t.viewer })).body;
      const sameSegment = await api("PUT", "/v1/envs/production/segments/foreign-nationals", { key: t.operator, json: { ...segment, reason: "no-op" } });
      expect([sameSegment.status, sameSegment.body]).toEqual([200, segment]);
      expect(await auditHead()).toBe(seq);
      // The next frame is the next real change's: nothing was pushed in between.
      const kill = await api("POST", `${FLAG}/kill`, { key: t.operator, json: { reason: "a real change" } });
      expect(kill.body.version).toBe(v + 1);
      expect(await sdk.next()).toMatchObject({ t: "patch", prev: v, v: v + 1 });
      await api("POST", `${FLAG}/restore`, { key: t.operator, json: { reason: "back" } });
    } finally {
      sdk.close();
    }
  });
});
