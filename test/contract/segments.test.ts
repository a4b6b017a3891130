import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Api } from "../support/api.js";
import { startWithTenant } from "../support/contract-tenant.js";
import type { ContractTarget } from "../support/contract-target.js";
import type { TestTenant } from "../support/tenants.js";

let target: ContractTarget;
let api: Api;
let t: TestTenant;

beforeAll(async () => {
  ({ target, api, t } = await startWithTenant());
});
afterAll(() => target.close());

const SEGMENTS = "/v1/envs/production/segments";
const foreign = {
  description: "No US citizenship, or unknown",
  include: [],
  exclude: ["user-123"],
  rules: [{ when: [{ attribute: "nationality", op: "notIn", values: ["US"] }] }],
};
const reason = "contract";

describe("segments", () => {
  it("creates (201) then replaces (200), the version following the environment", async () => {
    const created = await api("PUT", `${SEGMENTS}/foreign-nationals`, { key: t.operator, json: { ...foreign, reason } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ key: "foreign-nationals", ...foreign, version: expect.any(Number), audit: expect.any(Object) });
    const replaced = await api("PUT", `${SEGMENTS}/foreign-nationals`, { key: t.operator, json: { ...foreign, exclude: [], reason } });
    expect(replaced.status).toBe(200);
    expect(replaced.body.version).toBe(created.body.version + 1);
    const { audit: _audit, ...segment } = replaced.body; // a write's answer adds its audit checkpoint
    expect((await api("GET", `${SEGMENTS}/foreign-nationals`, { key: t.viewer })).body).toEqual(segment);
  });

  it("accepts a GET answer as a PUT body; a key in the body must equal the path's", async () => {
    const current = (await api("GET", `${SEGMENTS}/foreign-nationals`, { key: t.viewer })).body;
    expect((await api("PUT", `${SEGMENTS}/foreign-nationals`, { key: t.operator, json: { ...current, reason } })).status).toBe(200);
    const mismatch = await api("PUT", `${SEGMENTS}/foreign-nationals`, { key: t.operator, json: { ...current, key: "other", reason } });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.errors[0].path).toBe("key");
  });

  it("rejects segment conditions inside segment rules, and lower-case codes", async () => {
    const nested = await api("PUT", `${SEGMENTS}/nested`, { key: t.operator, json: { rules: [{ when: [{ segment: ["foreign-nationals"] }] }], reason } });
    expect(nested.status).toBe(400);
    expect(nested.body.errors.map((e: { message: string }) => e.message).join(" ")).toMatch(/may not name segments/);
    const lower = await api("PUT", `${SEGMENTS}/lower`, { key: t.operator, json: { rules: [{ when: [{ attribute: "region", op: "in", values: ["fr"] }] }], reason } });
    expect(lower.status).toBe(400);
    expect(lower.body.errors[0]).toMatchObject({ path: "rules[0].when[0].values[0]", message: expect.stringContaining('"fr"') });
  });

  it("refuses to delete a segment a rule still names, naming the flags (409)", async () => {
    await api("POST", "/v1/flags", { key: t.operator, json: { key: "model.mythos-5", kind: "boolean" } });
    const block = await api("POST", "/v1/envs/production/flags/model.mythos-5/block", {
      key: t.operator,
      json: { reason: "directive", segment: "foreign-nationals" },
    });
    const refused = await api("DELETE", `${SEGMENTS}/foreign-nationals`, { key: t.operator });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain('"model.mythos-5"');
    await api("DELETE", `/v1/envs/production/flags/model.mythos-5/rules/${block.body.ruleId}`, { key: t.operator, json: { reason: "lifted" } });
    const deleted = await api("DELETE", `${SEGMENTS}/foreign-nationals`, { key: t.operator, json: { reason: "unused" } });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ version: block.body.version + 2, audit: expect.any(Object) });
    expect((await api("GET", `${SEGMENTS}/foreign-nationals`, { key: t.viewer })).status).toBe(404);
  });

  it("answers 409 to a stale If-Match on PUT and DELETE", async () => {
    const created = await api("PUT", `${SEGMENTS}/staff`, { key: t.operator, json: { include: ["u1"], reason } });
    const stale = String(created.body.version - 1);
    expect((await api("PUT", `${SEGMENTS}/staff`, { key: t.operator, json: { include: [], reason }, headers: { "if-match": stale } })).status).toBe(409);
    expect((await api("DELETE", `${SEGMENTS}/staff`, { key: t.operator, headers: { "if-match": stale } })).status).toBe(409);
    expect((await api("PUT", `${SEGMENTS}/new-one`, { key: t.operator, json: { reason }, headers: { "if-match": "3" } })).status).toBe(409);
    const ok = await api("PUT", `${SEGMENTS}/staff`, { key: t.operator, json: { include: [], reason }, headers: { "if-match": String(created.body.version) } });
    expect(ok.status).toBe(200);
  });

  it("lists an environment's segments by key, with paging", async () => {
    for (const key of ["s-a", "s-b", "s-c"]) await api("PUT", `${SEGMENTS}/${key}`, { key: t.operator, json: { reason } });
    const first = await api("GET", `${SEGMENTS}?limit=2`, { key: t.viewer });
    const rest = await api("GET", `${SEGMENTS}?limit=500&cursor=${first.body.nextCursor}`, { key: t.viewer });
    const keys = [...first.body.items, ...rest.body.items].map((s: { key: string }) => s.key);
    expect(keys).toEqual([...keys].sort());
    expect(keys).toEqual(expect.arrayContaining(["s-a", "s-b", "s-c", "staff"]));
    expect((await api("GET", "/v1/envs/nowhere/segments", { key: t.viewer })).status).toBe(404);
  });
});
