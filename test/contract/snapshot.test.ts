import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
  await api("POST", "/v1/envs", { key: t.admin, json: { key: "staging" } });
});
afterAll(() => target.close());

describe("snapshots", () => {
  it("serves an environment's flags and segments at one version", async () => {
    const res = await api("GET", "/v1/envs/production/snapshot", { key: t.viewer });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      sig: expect.any(Object),
      version: 2,
      env: "production",
      epoch: expect.stringMatching(/^[0-9a-f]{24}$/),
      tenant: t.id,
      flags: {
        "model.fable-5": {
          key: "model.fable-5",
          kind: "boolean",
          variants: { on: true, off: false },
          enabled: true,
          offVariant: "off",
          rules: [],
          fallthrough: { variant: "on" },
          failMode: "open",
          version: 1,
        },
      },
      segments: {
        "foreign-nationals": {
          key: "foreign-nationals",
          include: [],
          exclude: [],
          rules: [{ when: [{ attribute: "nationality", op: "notIn", values: ["US"] }] }],
          version: 2,
        },
      },
    });
  });

  it("signs the body with the environment's one key (docs/signing.md; test/contract/signing.test.ts verifies it)", async () => {
    const res = await api("GET", "/v1/envs/production/snapshot", { key: t.viewer });
    const keys = (await api("GET", "/v1/envs/production/signing-key", { key: t.viewer })).body.keys;
    expect(Object.keys(res.body.sig)).toEqual([keys[0].key]);
    expect(Object.values(res.body.sig)).toEqual([expect.stringMatching(/^[A-Za-z0-9_-]{86}$/)]);
  });

  it("answers 304 to a matching If-None-Match, and a new ETag after a change", async () => {
    const first = await api("GET", "/v1/snapshot", { key: t.sdk });
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^".+"$/);
    expect(first.body.env).toBe("production");
    const same = await api("GET", "/v1/snapshot", { key: t.sdk, headers: { "if-none-match": etag! } });
    expect(same.status).toBe(304);
    expect(same.body).toBeNull();
    expect(same.headers.get("etag")).toBe(etag);
    await api("POST", "/v1/envs/production/flags/model.fable-5/kill", { key: t.operator, json: { reason: "r" } });
    const changed = await api("GET", "/v1/snapshot", { key: t.sdk, headers: { "if-none-match": etag! } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);
    expect(changed.body.flags["model.fable-5"].enabled).toBe(false);
  });

  it("lets an sdk key read its own environment only", async () => {
    expect((await api("GET", "/v1/envs/production/snapshot", { key: t.sdk })).status).toBe(200);
    expect((await api("GET", "/v1/envs/staging/snapshot", { key: t.sdk })).status).toBe(403);
    expect((await api("GET", "/v1/flags", { key: t.sdk })).status).toBe(403);
    expect((await api("GET", "/v1/snapshot", { key: t.viewer })).status).toBe(403);
  });

  it("gives a new environment its flags at version 0", async () => {
    const res = await api("GET", "/v1/envs/staging/snapshot", { key: t.viewer });
    expect(res.body.version).toBe(0);
    expect(res.body.flags["model.fable-5"]).toMatchObject({ enabled: true, version: 0 });
    expect(res.body.segments).toEqual({});
  });
});
