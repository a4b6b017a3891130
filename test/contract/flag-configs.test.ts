import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Api } from "../support/api.js";
import { seedFableAndForeignNationals, startWithTenant } from "../support/contract-tenant.js";
import type { ContractTarget } from "../support/contract-target.js";
import type { TestTenant } from "../support/tenants.js";

/** The audit entry every write's answer names (checked in detail in audit.test.ts). */
const CHECKPOINT = { seq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) };

let target: ContractTarget;
let api: Api;
let t: TestTenant;

beforeAll(async () => {
  ({ target, api, t } = await startWithTenant());
  await seedFableAndForeignNationals(api, t);
  // A nested path declared with ISO 3166 codes: the check follows the declaration, not the name.
  await api("POST", "/v1/attributes", { key: t.admin, json: { name: "user.region", type: "string", codes: "iso3166" } });
});
afterAll(() => target.close());

const PATH = "/v1/envs/production/flags/model.fable-5";
const config = async (path = PATH): Promise<any> => (await api("GET", path, { key: t.viewer })).body;
const envVersion = async (): Promise<number> => (await api("GET", "/v1/envs/production/snapshot", { key: t.viewer })).body.version;

describe("the directive case: block a segment, kill for everyone, restore", () => {
  it("walks through block → kill → restore → lift, one version each", async () => {
    const v0 = await envVersion();

    const block = await api("POST", `${PATH}/block`, {
      key: t.operator,
      json: {
        reason: "Export directive received 17:21",
        directive: "EXPORT-2026-001",
        when: [{ attribute: "nationality", op: "notIn", values: ["US"] }],
      },
    });
    expect(block.status).toBe(200);
    expect(block.body).toEqual({ version: v0 + 1, ruleId: expect.any(String), audit: CHECKPOINT });
    const blocked = await config();
    expect(blocked.rules[0]).toEqual({
      id: block.body.ruleId,
      description: "Export directive received 17:21",
      directive: "EXPORT-2026-001",
      when: [{ attribute: "nationality", op: "notIn", values: ["US"] }],
      serve: { variant: "off" },
    });
    expect(blocked.version).toBe(v0 + 1);

    const kill = await api("POST", `${PATH}/kill`, { key: t.operator, json: { reason: "Scope unclear: off for everyone" } });
    expect(kill.body).toEqual({ version: v0 + 2, audit: CHECKPOINT });
    expect((await config()).enabled).toBe(false);

    const restore = await api("POST", `${PATH}/restore`, { key: t.operator, json: { reason: "Scope clarified" } });
    expect(restore.body).toEqual({ version: v0 + 3, audit: CHECKPOINT });
    const restored = await config();
    expect(restored.enabled).toBe(true);
    expect(restored.rules.map((r: { id: string }) => r.id)).toEqual([block.body.ruleId]);

    const lift = await api("DELETE", `${PATH}/rules/${block.body.ruleId}`, { key: t.operator, json: { reason: "Directive withdrawn" } });
    expect(lift.body).toEqual({ version: v0 + 4, audit: CHECKPOINT });
    expect((await config()).rules).toEqual([]);
  });

  it("blocks a segment named as a string or a list, inserting the rule first", async () => {
    const one = await api("POST", `${PATH}/block`, { key: t.operator, json: { reason: "r1", segment: "foreign-nationals" } });
    const many = await api("POST", `${PATH}/block`, {
      key: t.operator,
      json: { reason: "r2", segment: ["foreign-nationals"], description: "second block" },
    });
    const { rules } = await config();
    expect(rules.map((r: { id: string }) => r.id)).toEqual([many.body.ruleId, one.body.ruleId]);
    expect(rules[0]).toMatchObject({ description: "second block", when: [{ segment: ["foreign-nationals"] }], serve: { variant: "off" } });
    for (const id of [one.body.ruleId, many.body.ruleId]) {
      await api("DELETE", `${PATH}/rules/${id}`, { key: t.operator, json: { reason: "cleanup" } });
    }
  });

  it("rejects a block naming a missing segment, or both segment and when, or neither", async () => {
    const missing = await api("POST", `${PATH}/block`, { key: t.operator, json: { reason: "r", segment: "nobody" } });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0]).toMatchObject({ path: "segment[0]", message: expect.stringContaining("nobody") });
    const both = await api("POST", `${PATH}/block`, {
      key: t.operator,
      json: { reason: "r", segment: "foreign-nationals", when: [{ attribute: "a", op: "exists" }] },
    });
    expect(both.status).toBe(400);
    expect((await api("POST", `${PATH}/block`, { key: t.operator, json: { reason: "r" } })).status).toBe(400);
  });

  it("answers 404 for a rule the config does not have", async () => {
    const res = await api("DELETE", `${PATH}/rules/nope`, { key: t.operator, json: { reason: "r" } });
    expect(res.status).toBe(404);
  });
});

describe("PUT of a whole config", () => {
  it("accepts a GET answer as its body, and assigns ids to rules without one", async () => {
    const current = await config();
    const put = await api("PUT", PATH, {
      key: t.operator,
      json: {
        ...current,
        failMode: "closed",
        staleAfterMs: 30000,
        rules: [{ when: [{ attribute: "employer", op: "in", values: ["acme-defense"] }], serve: { variant: "off" } }],
        reason: "contract",
      },
    });
    expect(put.status).toBe(200);
    expect(put.body.rules[0].id).toMatch(/^[A-Za-z0-9]/);
    // The answer is the config as a GET answers it, plus the write's audit checkpoint.
    const { audit, ...answered } = put.body;
    expect(audit).toEqual(CHECKPOINT);
    // That answer plus a reason is a valid body, and changes nothing: no new version, no audit entry.
    const roundTrip = await api("PUT", PATH, { key: t.operator, json: { ...put.body, reason: "round trip" } });
    expect(roundTrip.status).toBe(200);
    expect(roundTrip.body).toEqual(answered);
    expect(await config()).toEqual(answered);
    expect(await envVersion()).toBe(put.body.version);
  });

  const base = { enabled: true, offVariant: "off", fallthrough: { variant: "on" }, failMode: "open", reason: "contract" };
  const rejects: [string, unknown, string, RegExp][] = [
    ["a missing variant", { ...base, rules: [{ when: [], serve: { variant: "maybe" } }] }, "rules[0].serve.variant", /maybe/],
    ["a missing offVariant", { ...base, offVariant: "nope", rules: [] }, "offVariant", /nope/],
    ["a missing segment", { ...base, rules: [{ when: [{ segment: ["ghosts"] }], serve: { variant: "off" } }] }, "rules[0].when[0].segment[0]", /ghosts/],
    ["a lower-case nationality", { ...base, rules: [{ when: [{ attribute: "nationality", op: "notIn", values: ["us"] }], serve: { variant: "off" } }] }, "rules[0].when[0].values[0]", /"us"/],
    ["a lower-case region on a dotted path", { ...base, rules: [{ when: [{ attribute: "user.region", op: "in", values: ["US-ca"] }], serve: { variant: "off" } }] }, "rules[0].when[0].values[0]", /"US-ca"/],
    ["an empty values list", { ...base, rules: [{ when: [{ attribute: "employer", op: "notIn", values: [] }], serve: { variant: "off" } }] }, "rules[0].when[0].values", /non-empty/],
    ["values on exists", { ...base, rules: [{ when: [{ attribute: "employer", op: "exists", values: ["x"] }], serve: { variant: "off" } }] }, "rules[0].when[0].values", /no values/],
    ["a string compared with lt", { ...base, rules: [{ when: [{ attribute: "age", op: "lt", values: ["18"] }], serve: { variant: "off" } }] }, "rules[0].when[0].values[0]", /number/],
    ["an unknown operator", { ...base, rules: [{ when: [{ attribute: "age", op: "matches", values: [".*"] }], serve: { variant: "off" } }] }, "rules[0].when[0].op", /./],
    ["rollout weights not summing to 100,000", { ...base, rules: [], fallthrough: { rollout: { weights: { on: 50000, off: 40000 } } } }, "fallthrough.rollout.weights", /100000/],
    ["a rollout naming a missing variant", { ...base, rules: [], fallthrough: { rollout: { weights: { on: 50000, maybe: 50000 } } } }, "fallthrough.rollout.weights.maybe", /maybe/],
    ["duplicate rule ids", { ...base, rules: [{ id: "r1", when: [], serve: { variant: "on" } }, { id: "r1", when: [], serve: { variant: "off" } }] }, "rules[1].id", /duplicate/],
    ["staleAfterMs under a second", { ...base, rules: [], staleAfterMs: 10 }, "staleAfterMs", /./],
    ["an unknown field", { ...base, rules: [], colour: "red" }, "colour", /unknown field/],
  ];
  it.each(rejects)("rejects %s with the field's path", async (_name, body, path, message) => {
    const res = await api("PUT", PATH, { key: t.operator, json: body });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.errors).toContainEqual(expect.objectContaining({ path, message: expect.stringMatching(message) }));
  });
});

describe("If-Match", () => {
  it('compares with the config\'s version, as 12 or "12", and answers 409 when stale', async () => {
    const { version } = await config();
    const stale = await api("POST", `${PATH}/kill`, { key: t.operator, json: { reason: "r" }, headers: { "if-match": String(version - 1) } });
    expect(stale.status).toBe(409);
    expect(stale.body.type).toBe("https://killswitch.dev/problems/stale-version");
    const fresh = await api("POST", `${PATH}/kill`, { key: t.operator, json: { reason: "r" }, headers: { "if-match": `"${version}"` } });
    expect(fresh.status).toBe(200);
    const restore = await api("POST", `${PATH}/restore`, { key: t.operator, json: { reason: "r" }, headers: { "if-match": String(fresh.body.version) } });
    expect(restore.status).toBe(200);
  });

  it("answers 400 to an If-Match that is not a version, and 400 before 409", async () => {
    expect((await api("POST", `${PATH}/kill`, { key: t.operator, json: { reason: "r" }, headers: { "if-match": "abc" } })).status).toBe(400);
    const invalidAndStale = await api("POST", `${PATH}/kill`, { key: t.operator, json: {}, headers: { "if-match": "1" } });
    expect(invalidAndStale.status).toBe(400);
  });
});
