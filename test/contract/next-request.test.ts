/**
 * "Revocation takes effect on the next request" and "a committed change is served
 * on the next request", with requests in flight while the change is made: the
 * service answers keys and versions from memory, so these hold only if every
 * change reaches that memory before it is answered. A request counts as "next"
 * when it is sent after the change's answer arrived.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiFor, okBody, type Api } from "../support/api.js";
import { startContractTarget, type ContractTarget } from "../support/contract-target.js";
import { createTenant, type TestTenant } from "../support/tenants.js";

let target: ContractTarget;
let api: Api;
let a: TestTenant;

const ok = (key: string, method: string, path: string, json?: unknown): Promise<any> => okBody(api, key, method, path, json);

beforeAll(async () => {
  target = await startContractTarget();
  api = apiFor(target);
  a = await createTenant(target, api, "next request");
});

afterAll(() => target.close());

interface Sent<T> {
  /** Answered before the change was sent: must not show it. */
  before: boolean;
  /** Sent after the change was answered: must show it. Those in between may go either way. */
  after: boolean;
  answer: T;
}

/**
 * Keeps `clients` requests in flight while `change` is made, and records for each
 * whether it was answered before the change was sent, or sent after the change
 * was answered. Returns once there are enough of both.
 */
async function aroundChange<T>(send: () => Promise<T>, change: () => Promise<void>, clients = 6): Promise<Sent<T>[]> {
  const sent: Sent<T>[] = [];
  let phase: "before" | "during" | "after" = "before";
  let stop = false;
  const client = async () => {
    while (!stop) {
      const sentIn = phase;
      const answer = await send();
      sent.push({ before: phase === "before", after: sentIn === "after", answer });
    }
  };
  const running = Array.from({ length: clients }, client);
  const enough = (which: "before" | "after") => sent.filter((s) => s[which]).length >= 20;
  while (!enough("before")) await new Promise((resolve) => setTimeout(resolve, 5));
  phase = "during";
  await change();
  phase = "after";
  while (!enough("after")) await new Promise((resolve) => setTimeout(resolve, 5));
  stop = true;
  await Promise.all(running);
  return sent;
}

describe("the next request after a change, with requests in flight", () => {
  it("refuses a revoked sdk key on OFREP and on /v1 from the first request sent after the revocation", async () => {
    const created = await ok(a.admin, "POST", "/v1/keys", { name: "revoked under load", role: "sdk", env: "production" });
    await ok(a.admin, "POST", "/v1/flags", { key: "model.under-load", kind: "boolean" });
    let i = 0;
    const sent = await aroundChange(
      async () =>
        (i++ % 2 === 0
          ? await api("POST", "/ofrep/v1/evaluate/flags/model.under-load", { key: created.secret, json: { context: {} } })
          : await api("GET", "/v1/snapshot", { key: created.secret })
        ).status,
      async () => {
        await ok(a.admin, "DELETE", `/v1/keys/${created.key.id}`);
      },
    );
    expect(sent.filter((s) => s.before).every((s) => s.answer === 200)).toBe(true);
    expect(sent.filter((s) => s.after).map((s) => s.answer)).toEqual(sent.filter((s) => s.after).map(() => 401));
  });

  it("serves a kill from the first OFREP request sent after the kill was answered", async () => {
    const flag = "model.killed-under-load";
    await ok(a.admin, "POST", "/v1/flags", { key: flag, kind: "boolean" });
    const sent = await aroundChange(
      async () => (await api("POST", `/ofrep/v1/evaluate/flags/${flag}`, { key: a.sdk, json: { context: { targetingKey: "u1" } } })).body,
      async () => {
        await ok(a.operator, "POST", `/v1/envs/production/flags/${flag}/kill`, { reason: "directive" });
      },
    );
    expect(sent.filter((s) => s.before).every((s) => s.answer.value === true)).toBe(true);
    for (const s of sent.filter((s) => s.after)) expect(s.answer).toMatchObject({ value: false, reason: "DISABLED" });
  });

  it("authenticates a key created while requests are in flight on its first request", async () => {
    const created = await ok(a.admin, "POST", "/v1/keys", { name: "new", role: "sdk", env: "production" });
    expect((await api("POST", "/ofrep/v1/evaluate/flags/model.under-load", { key: created.secret, json: { context: {} } })).status).toBe(200);
  });
});
