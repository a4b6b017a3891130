import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Api } from "../support/api.js";
import { startWithTenant } from "../support/contract-tenant.js";
import type { ContractTarget } from "../support/contract-target.js";
import { createTenant, type TestTenant } from "../support/tenants.js";

let target: ContractTarget;
let api: Api;
let t: TestTenant;

beforeAll(async () => {
  ({ target, api, t } = await startWithTenant());
  await api("POST", "/v1/envs", { key: t.admin, json: { key: "staging" } });
});
afterAll(() => target.close());

const versionOf = async (env: string): Promise<number> => (await api("GET", `/v1/envs/${env}/snapshot`, { key: t.viewer })).body.version;

describe("creating flags", () => {
  it("gives a boolean flag on/off and starts it enabled, serving on, in every environment", async () => {
    const before = { production: await versionOf("production"), staging: await versionOf("staging") };
    const res = await api("POST", "/v1/flags", {
      key: t.operator,
      json: { key: "model.fable-5", kind: "boolean", description: "Fable 5", tags: ["model"] },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe("/v1/flags/model.fable-5");
    expect(res.body).toMatchObject({ key: "model.fable-5", kind: "boolean", variants: { on: true, off: false }, description: "Fable 5", tags: ["model"] });
    for (const env of ["production", "staging"] as const) {
      const config = await api("GET", `/v1/envs/${env}/flags/model.fable-5`, { key: t.viewer });
      expect(config.body).toEqual({
        enabled: true,
        offVariant: "off",
        rules: [],
        fallthrough: { variant: "on" },
        failMode: "open",
        version: before[env] + 1,
      });
      expect(await versionOf(env)).toBe(before[env] + 1);
    }
  });

  it("keeps variants in creation order; without on/off it serves the first and kills to the last", async () => {
    const res = await api("POST", "/v1/flags", {
      key: t.operator,
      json: { key: "model.tier", kind: "string", variants: { premium: "p", standard: "s", blocked: "b" } },
    });
    expect(Object.keys(res.body.variants)).toEqual(["premium", "standard", "blocked"]);
    const snapshot = await api("GET", "/v1/envs/production/snapshot", { key: t.viewer });
    const wire = snapshot.body.flags["model.tier"];
    expect(Object.keys(wire.variants)).toEqual(["premium", "standard", "blocked"]);
    expect(wire).toMatchObject({ fallthrough: { variant: "premium" }, offVariant: "blocked", kind: "string" });
  });

  it("rejects variants of the wrong kind, missing variants, integer-like names and duplicates", async () => {
    const wrongKind = await api("POST", "/v1/flags", { key: t.operator, json: { key: "n", kind: "number", variants: { low: 1, high: "2" } } });
    expect(wrongKind.status).toBe(400);
    expect(wrongKind.body.errors).toEqual([{ path: "variants.high", message: expect.stringContaining('"2"'), code: "custom" }]);
    const noVariants = await api("POST", "/v1/flags", { key: t.operator, json: { key: "s", kind: "string" } });
    expect(noVariants.status).toBe(400);
    const numericName = await api("POST", "/v1/flags", { key: t.operator, json: { key: "j", kind: "json", variants: { "1": {}, a: [] } } });
    expect(numericName.status).toBe(400);
    const badKey = await api("POST", "/v1/flags", { key: t.operator, json: { key: "-leading-dash", kind: "boolean" } });
    expect(badKey.body.errors[0].path).toBe("key");
    const duplicate = await api("POST", "/v1/flags", { key: t.operator, json: { key: "model.fable-5", kind: "boolean" } });
    expect(duplicate.status).toBe(409);
  });

  it("gives a new environment default configs for every existing flag", async () => {
    await api("POST", "/v1/envs", { key: t.admin, json: { key: "eu" } });
    const config = await api("GET", "/v1/envs/eu/flags/model.fable-5", { key: t.viewer });
    expect(config.status).toBe(200);
    expect(config.body).toMatchObject({ enabled: true, offVariant: "off", fallthrough: { variant: "on" }, rules: [] });
  });
});

describe("changing and deleting flags", () => {
  it("changes description and tags without a new environment version", async () => {
    const before = await versionOf("production");
    const res = await api("PATCH", "/v1/flags/model.fable-5", { key: t.operator, json: { description: "Fable five", tags: ["model", "llm"] } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ description: "Fable five", tags: ["model", "llm"] });
    expect(await versionOf("production")).toBe(before);
  });

  it("changes variants as a change in every environment", async () => {
    await api("POST", "/v1/flags", { key: t.operator, json: { key: "tier", kind: "string", variants: { a: "A", b: "B" } } });
    const before = await versionOf("staging");
    const res = await api("PATCH", "/v1/flags/tier", { key: t.operator, json: { variants: { a: "A2", b: "B", c: "C" }, reason: "contract" } });
    expect(res.status).toBe(200);
    expect(await versionOf("staging")).toBe(before + 1);
    const wire = (await api("GET", "/v1/envs/staging/snapshot", { key: t.viewer })).body.flags.tier;
    expect(wire.variants).toEqual({ a: "A2", b: "B", c: "C" });
    expect(wire.version).toBe(before + 1);
  });

  it("refuses to remove a variant a config still serves (409), and a variant of the wrong kind (400)", async () => {
    const removed = await api("PATCH", "/v1/flags/tier", { key: t.operator, json: { variants: { a: "A" }, reason: "contract" } });
    expect(removed.status).toBe(409);
    expect(removed.body.detail).toContain('"b"');
    const wrong = await api("PATCH", "/v1/flags/tier", { key: t.operator, json: { variants: { a: 1, b: "B" }, reason: "contract" } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors[0].path).toBe("variants.a");
    expect((await api("PATCH", "/v1/flags/tier", { key: t.operator, json: {} })).status).toBe(400);
  });

  it("deletes a flag from every environment", async () => {
    await api("POST", "/v1/flags", { key: t.operator, json: { key: "doomed", kind: "boolean" } });
    const before = await versionOf("eu");
    // SDKs then serve callers' defaults, which may lift a block: a reason is required.
    expect((await api("DELETE", "/v1/flags/doomed", { key: t.operator })).status).toBe(400);
    const unexplained = await api("DELETE", "/v1/flags/doomed", { key: t.operator, json: {} });
    expect([unexplained.status, unexplained.body.errors?.[0]?.path]).toEqual([400, "reason"]);
    expect((await api("DELETE", "/v1/flags/doomed", { key: t.operator, json: { reason: "retired" } })).status).toBe(204);
    expect((await api("GET", "/v1/flags/doomed", { key: t.viewer })).status).toBe(404);
    expect((await api("GET", "/v1/envs/eu/flags/doomed", { key: t.viewer })).status).toBe(404);
    const snapshot = await api("GET", "/v1/envs/eu/snapshot", { key: t.viewer });
    expect(snapshot.body.flags.doomed).toBeUndefined();
    expect(snapshot.body.version).toBe(before + 1);
  });

  it("never shows one tenant's flags to another", async () => {
    const other = await createTenant(target, api);
    const list = await api("GET", "/v1/flags", { key: other.viewer });
    expect(list.body.items).toEqual([]);
    expect((await api("GET", "/v1/flags/model.fable-5", { key: other.viewer })).status).toBe(404);
  });

  it("pages the flag list by key", async () => {
    const res1 = await api("GET", "/v1/flags?limit=1", { key: t.viewer });
    expect(res1.body.items).toHaveLength(1);
    const res2 = await api("GET", `/v1/flags?limit=500&cursor=${res1.body.nextCursor}`, { key: t.viewer });
    const all = [...res1.body.items, ...res2.body.items].map((f: { key: string }) => f.key);
    expect(all).toEqual([...all].sort());
    expect(res2.body.nextCursor).toBeUndefined();
  });
});
