/**
 * Declared context attributes, on both hosts: a rule may only name a declared
 * attribute (built-ins included), so a typo is refused with a suggestion; a
 * declaration's type and codes decide what conditions may say.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiFor, type Api } from "../support/api.js";
import { startContractTarget, type ContractTarget } from "../support/contract-target.js";
import { createTenant, type TestTenant } from "../support/tenants.js";

let target: ContractTarget;
let api: Api;
let t: TestTenant;
let other: TestTenant;

beforeAll(async () => {
  target = await startContractTarget();
  api = apiFor(target);
  t = await createTenant(target, api, "attributes");
  other = await createTenant(target, api, "other");
  await api("POST", "/v1/flags", { key: t.admin, json: { key: "model.fable-5", kind: "boolean" } });
});
afterAll(() => target.close());

const BLOCK = "/v1/envs/production/flags/model.fable-5/block";
const block = (when: unknown[]) => api("POST", BLOCK, { key: t.operator, json: { reason: "directive", when } });

describe("the built-ins", () => {
  it("are listed for every tenant, for every role that reads", async () => {
    for (const key of [t.viewer, t.operator, t.admin]) {
      const res = await api("GET", "/v1/attributes", { key });
      expect(res.status).toBe(200);
      expect(res.body.items.map((a: { name: string }) => a.name)).toEqual(["currentTime", "employer", "key", "nationality", "region"]);
    }
    expect((await api("GET", "/v1/attributes/region", { key: t.viewer })).body).toEqual({
      name: "region",
      type: "string",
      list: true,
      codes: "iso3166",
      description: expect.any(String),
      builtIn: true,
    });
    expect((await api("GET", "/v1/attributes/currentTime", { key: t.viewer })).body).toMatchObject({ type: "instant", builtIn: true });
  });

  it("cannot be changed or deleted (409)", async () => {
    expect((await api("PUT", "/v1/attributes/nationality", { key: t.admin, json: { type: "string" } })).status).toBe(409);
    expect((await api("DELETE", "/v1/attributes/key", { key: t.admin })).status).toBe(409);
    expect((await api("POST", "/v1/attributes", { key: t.admin, json: { name: "employer" } })).status).toBe(409);
  });
});

describe("a typo in an attribute name", () => {
  it("is refused with a suggestion, whatever the operator", async () => {
    for (const condition of [
      { attribute: "nationalty", op: "in", values: ["FR"] },
      { attribute: "nationalty", op: "notIn", values: ["us"] },
    ]) {
      const res = await block([condition]);
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([
        {
          path: "when[0].attribute",
          message: 'unknown attribute "nationalty": did you mean "nationality"? Declare it first with POST /v1/attributes',
          code: "unknown_attribute",
        },
      ]);
    }
    expect((await api("GET", "/v1/envs/production/flags/model.fable-5", { key: t.viewer })).body.rules).toEqual([]);
  });

  it("is refused in a segment's rules and a config's too", async () => {
    const segment = await api("PUT", "/v1/envs/production/segments/staff", {
      key: t.operator,
      json: { reason: "r", rules: [{ when: [{ attribute: "employr", op: "in", values: ["acme"] }] }] },
    });
    expect(segment.status).toBe(400);
    expect(segment.body.errors[0]).toMatchObject({ path: "rules[0].when[0].attribute", message: expect.stringContaining('did you mean "employer"?') });
    const config = await api("PUT", "/v1/envs/production/flags/model.fable-5", {
      key: t.operator,
      json: { enabled: true, offVariant: "off", fallthrough: { variant: "on" }, reason: "r", rules: [{ when: [{ attribute: "plam", op: "exists" }], serve: { variant: "off" } }] },
    });
    expect(config.status).toBe(400);
    expect(config.body.errors[0].path).toBe("rules[0].when[0].attribute");
  });
});

describe("declaring", () => {
  it("is the admin's (201 with its location), is audited, and makes the name usable", async () => {
    expect((await api("POST", "/v1/attributes", { key: t.operator, json: { name: "plan" } })).status).toBe(403);
    const created = await api("POST", "/v1/attributes", { key: t.admin, json: { name: "plan", type: "string", description: "Pricing plan", reason: "pricing" } });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe("/v1/attributes/plan");
    const { audit, ...declared } = created.body; // a write's answer adds the audit entry it appended
    expect(declared).toEqual({ name: "plan", type: "string", list: false, description: "Pricing plan", builtIn: false });
    expect(audit).toEqual({ seq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect((await api("POST", "/v1/attributes", { key: t.admin, json: { name: "plan" } })).status).toBe(409);
    const [entry] = (await api("GET", "/v1/audit?limit=1", { key: t.viewer })).body.items;
    expect(entry).toMatchObject({ action: "attribute.create", entity: "attribute", key: "plan", after: declared, reason: "pricing", seq: audit.seq, hash: audit.hash });
    expect((await block([{ attribute: "plan", op: "in", values: ["free"] }])).status).toBe(200);
  });

  it("declares nested paths by their dotted name, and answers another tenant 404", async () => {
    const created = await api("POST", "/v1/attributes", { key: t.admin, json: { name: "org.country", type: "string", codes: "iso3166" } });
    expect(created.status).toBe(201);
    expect((await api("GET", "/v1/attributes/org.country", { key: t.viewer })).body.name).toBe("org.country");
    expect((await api("GET", "/v1/attributes/org.country", { key: other.admin })).status).toBe(404);
    const bad = await api("POST", "/v1/attributes", { key: t.admin, json: { name: "org..country" } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe("name");
  });

  it("checks ISO 3166 codes by the declaration, not the name", async () => {
    const coded = await block([{ attribute: "org.country", op: "in", values: ["fr"] }]);
    expect(coded.status).toBe(400);
    expect(coded.body.errors[0]).toMatchObject({ path: "when[0].values[0]", message: expect.stringContaining('"fr" is not an upper-case ISO 3166 code') });
    await api("POST", "/v1/attributes", { key: t.admin, json: { name: "user.nationality", description: "free text, not codes" } });
    expect((await block([{ attribute: "user.nationality", op: "in", values: ["french"] }])).status).toBe(200);
  });

  it("refuses an operator the declared type cannot take", async () => {
    await api("POST", "/v1/attributes", { key: t.admin, json: { name: "age", type: "number" } });
    const semver = await block([{ attribute: "employer", op: "semverLt", values: ["1.2.3"] }]);
    expect(semver.status).toBe(400);
    expect(semver.body.errors[0]).toMatchObject({ path: "when[0].op", code: "operator_mismatch", message: expect.stringContaining("declared as string") });
    const before = await block([{ attribute: "age", op: "before", values: ["2026-01-01T00:00:00Z"] }]);
    expect(before.status).toBe(400);
    expect(before.body.errors[0].path).toBe("when[0].op");
    expect((await block([{ attribute: "age", op: "gte", values: [18] }])).status).toBe(200);
  });

  it("PUT creates (201) or replaces (200); a GET answer sent back changes nothing", async () => {
    const created = await api("PUT", "/v1/attributes/tier", { key: t.admin, json: { type: "string", list: true } });
    expect(created.status).toBe(201);
    const auditBefore = (await api("GET", "/v1/audit?limit=1", { key: t.viewer })).body.items[0].seq;
    const { audit: _audit, ...declared } = created.body;
    const same = await api("PUT", "/v1/attributes/tier", { key: t.admin, json: created.body });
    expect([same.status, same.body]).toEqual([200, declared]);
    expect((await api("GET", "/v1/audit?limit=1", { key: t.viewer })).body.items[0].seq).toBe(auditBefore);
    const replaced = await api("PUT", "/v1/attributes/tier", { key: t.admin, json: { type: "string", description: "support tier" } });
    expect([replaced.status, replaced.body.list, replaced.body.description]).toEqual([200, false, "support tier"]);
    const mismatch = await api("PUT", "/v1/attributes/tier", { key: t.admin, json: { name: "other" } });
    expect([mismatch.status, mismatch.body.errors[0].path]).toEqual([400, "name"]);
  });
});

describe("deleting", () => {
  it("refuses an attribute still in use (409 naming the flags and segments), then deletes it once unused", async () => {
    await api("POST", "/v1/attributes", { key: t.admin, json: { name: "beta" } });
    const rule = await block([{ attribute: "beta", op: "exists" }]);
    await api("PUT", "/v1/envs/production/segments/testers", { key: t.operator, json: { reason: "r", rules: [{ when: [{ attribute: "beta", op: "exists" }] }] } });
    expect((await api("DELETE", "/v1/attributes/beta", { key: t.operator })).status).toBe(403);
    const refused = await api("DELETE", "/v1/attributes/beta", { key: t.admin });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain('flag "model.fable-5" in "production"');
    expect(refused.body.detail).toContain('segment "testers" in "production"');
    await api("DELETE", `/v1/envs/production/flags/model.fable-5/rules/${rule.body.ruleId}`, { key: t.operator, json: { reason: "lifted" } });
    await api("DELETE", "/v1/envs/production/segments/testers", { key: t.operator, json: { reason: "unused" } });
    expect((await api("DELETE", "/v1/attributes/beta", { key: t.admin, json: { reason: "unused" } })).status).toBe(204);
    expect((await api("GET", "/v1/attributes/beta", { key: t.viewer })).status).toBe(404);
  });
});
