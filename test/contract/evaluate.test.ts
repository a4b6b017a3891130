/**
 * `POST /v1/envs/{env}/evaluate`: the operator's "why is this user blocked?".
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiFor, type Api } from "../support/api.js";
import { startContractTarget, type ContractTarget } from "../support/contract-target.js";
import { createTenant, type TestTenant } from "../support/tenants.js";

let target: ContractTarget;
let api: Api;
let a: TestTenant;
let b: TestTenant;
let blockRule: string;

const FLAG = "model.fable-5";
const PATH = "/v1/envs/production/evaluate";

beforeAll(async () => {
  target = await startContractTarget();
  api = apiFor(target);
  a = await createTenant(target, api, "tenant A");
  b = await createTenant(target, api, "tenant B");
  const ok = async (method: string, path: string, json: unknown): Promise<any> => {
    const res = await api(method, path, { key: a.admin, json });
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    return res.body;
  };
  await ok("POST", "/v1/flags", { key: FLAG, kind: "boolean" });
  await ok("POST", "/v1/flags", { key: "model.other", kind: "boolean" });
  await ok("PUT", "/v1/envs/production/segments/foreign-nationals", {
    rules: [{ when: [{ attribute: "nationality", op: "notIn", values: ["US"] }] }],
    reason: "contract",
  });
  blockRule = (await ok("POST", `/v1/envs/production/flags/${FLAG}/block`, { reason: "EXPORT-2026-001", segment: "foreign-nationals" })).ruleId;
  await ok("POST", `/v1/envs/production/flags/${FLAG}/block`, {
    reason: "contract",
    when: [{ attribute: "employer", op: "in", values: ["acme-defense"] }],
  });
  // An environment only tenant A has.
  await ok("POST", "/v1/envs", { key: "qa" });
});

afterAll(() => target.close());

describe("POST /v1/envs/{env}/evaluate", () => {
  it("explains, rule by rule, why a context is blocked", async () => {
    const res = await api("POST", PATH, { key: a.viewer, json: { context: { key: "u1", nationality: "FR" }, flags: [FLAG] } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.env).toBe("production");
    expect(res.body.version).toBeGreaterThan(0);
    expect(res.body.flags).toHaveLength(1);
    const [flag] = res.body.flags;
    expect(flag.flag).toBe(FLAG);
    expect(flag.enabled).toBe(true);
    expect(flag.fallthrough).toBe(false);
    // The last block is inserted first: the employer rule, then the segment rule.
    expect(flag.rules).toHaveLength(2);
    expect(flag.rules[0]).toMatchObject({ matched: false, failedCondition: { index: 0, condition: { attribute: "employer", op: "in" } } });
    expect(flag.rules[0].failedCondition.detail).toContain("employer is missing");
    expect(flag.rules[1]).toEqual({ id: blockRule, matched: true, segments: { "foreign-nationals": "rule 0" } });
    expect(flag.result).toEqual({ value: false, variant: "off", reason: "TARGETING_MATCH", ruleId: blockRule });
  });

  it("explains why a context is not blocked, and every flag when none is listed", async () => {
    const res = await api("POST", PATH, { key: a.operator, json: { context: { key: "u2", nationality: ["US", "FR"] } } });
    expect(res.status).toBe(200);
    expect(res.body.flags.map((f: { flag: string }) => f.flag)).toEqual([FLAG, "model.other"]);
    const [flag] = res.body.flags;
    expect(flag.result).toEqual({ value: true, variant: "on", reason: "DEFAULT" });
    expect(flag.fallthrough).toBe(true);
    expect(flag.rules[1]).toMatchObject({ matched: false, segments: { "foreign-nationals": "none" } });
    expect(flag.rules[1].failedCondition.detail).toContain("not a member of foreign-nationals");
  });

  it("answers a listed flag the environment lacks with FLAG_NOT_FOUND", async () => {
    const res = await api("POST", PATH, { key: a.admin, json: { context: {}, flags: ["no.such-flag"] } });
    expect(res.status).toBe(200);
    expect(res.body.flags).toEqual([
      { flag: "no.such-flag", result: expect.objectContaining({ value: null, reason: "ERROR", errorCode: "FLAG_NOT_FOUND" }), enabled: false, rules: [], fallthrough: false },
    ]);
  });

  it("serves a kill on the next request", async () => {
    await api("POST", "/v1/envs/qa/flags/model.other/kill", { key: a.operator, json: { reason: "directive" } });
    const res = await api("POST", "/v1/envs/qa/evaluate", { key: a.viewer, json: { context: { key: "u1" }, flags: ["model.other"] } });
    expect(res.body.flags[0]).toMatchObject({ enabled: false, result: { value: false, reason: "DISABLED" } });
  });

  it.each([
    ["an unknown field", { context: {}, extra: 1 }, "extra"],
    ["no context", { flags: [FLAG] }, "context"],
    ["a context that is not an object", { context: ["u1"] }, "context"],
    ["a flag key that breaks the grammar", { context: {}, flags: ["no spaces"] }, "flags[0]"],
    ["an empty flag list", { context: {}, flags: [] }, "flags"],
    ["a context over 32 KiB", { context: { key: "u1", blob: "x".repeat(33 * 1024) } }, "context"],
  ])("answers 400 problem JSON to %s", async (_name, json, path) => {
    const res = await api("POST", PATH, { key: a.viewer, json });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(res.body.type).toBe("https://killswitch.dev/problems/validation");
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it("answers 400 to malformed JSON", async () => {
    const res = await api("POST", PATH, { key: a.viewer, raw: "{", headers: { "content-type": "application/json" } });
    expect(res.status).toBe(400);
    expect(res.body.type).toBe("https://killswitch.dev/problems/malformed-json");
  });

  it("answers 403 to an sdk key, before looking at the body", async () => {
    const res = await api("POST", PATH, { key: a.sdk, json: { nonsense: true } });
    expect(res.status).toBe(403);
    expect(res.body.type).toBe("https://killswitch.dev/problems/forbidden");
  });

  it("answers 401 to a revoked key and to no key", async () => {
    expect((await api("POST", PATH, { key: a.revoked, json: { context: {} } })).status).toBe(401);
    expect((await api("POST", PATH, { json: { context: {} } })).status).toBe(401);
  });

  it("answers 404 for another tenant's environment and for none, before looking at the body", async () => {
    const other = await api("POST", "/v1/envs/qa/evaluate", { key: b.admin, json: { nonsense: true } });
    expect(other.status).toBe(404);
    expect(other.body.type).toBe("https://killswitch.dev/problems/not-found");
    expect((await api("POST", "/v1/envs/nowhere/evaluate", { key: a.admin, json: { context: {} } })).status).toBe(404);
  });

  it("keeps each tenant's flags to itself", async () => {
    const res = await api("POST", PATH, { key: b.viewer, json: { context: { key: "u1" } } });
    expect(res.status).toBe(200);
    expect(res.body.flags).toEqual([]);
  });
});
