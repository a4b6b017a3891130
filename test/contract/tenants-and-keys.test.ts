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
});
afterAll(() => target.close());

describe("POST /v1/tenants", () => {
  it("creates a tenant with a generated id, environment production and a whole admin token", async () => {
    const res = await api("POST", "/v1/tenants", { key: target.rootToken, json: { name: "Acme AI" } });
    expect(res.status).toBe(201);
    expect(res.body.tenant).toEqual({ id: expect.stringMatching(/^[a-z0-9]{10}$/), name: "Acme AI" });
    expect(res.body.adminKey).toMatch(new RegExp(`^ks_${res.body.tenant.id}_[A-Za-z0-9_-]{43}$`));
    const envs = await api("GET", "/v1/envs", { key: res.body.adminKey });
    expect(envs.body.items.map((e: { key: string }) => e.key)).toEqual(["production"]);
  });

  it("answers 401 to a wrong root token and to no token", async () => {
    expect((await api("POST", "/v1/tenants", { key: "not-the-root", json: { name: "x" } })).status).toBe(401);
    const none = await api("POST", "/v1/tenants", { json: { name: "x" } });
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("lets the root token do nothing but create tenants", async () => {
    const res = await api("GET", "/v1/flags", { key: target.rootToken });
    expect(res.status).toBe(403);
    expect(res.body.detail).toMatch(/only create tenants/);
  });
});

describe("authentication", () => {
  it("answers 401 to a malformed Authorization header and to a key of no tenant", async () => {
    for (const header of ["Basic abc", "Bearer", `Bearer ${t.admin}x`, `Bearer ks_aaaaaaaaaa_${"A".repeat(43)}`]) {
      const res = await api("GET", "/v1/flags", { headers: { authorization: header } });
      expect(res.status, header).toBe(401);
    }
  });

  it("accepts secrets containing _ and -, parsed by position", async () => {
    // 32 random bytes in base64url: ~2 of 43 characters are _ or -; twenty keys make both near certain.
    const secrets: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await api("POST", "/v1/keys", { key: t.admin, json: { name: `k${i}`, role: "viewer" } });
      secrets.push(res.body.secret);
    }
    const tails = secrets.map((s) => s.slice("ks_".length + 11));
    expect(tails.some((s) => s.includes("_"))).toBe(true);
    expect(tails.some((s) => s.includes("-"))).toBe(true);
    for (const secret of secrets) expect((await api("GET", "/v1/flags", { key: secret })).status).toBe(200);
  });
});

describe("keys", () => {
  it("shows a new key's secret once, as a whole bearer token, and never again", async () => {
    const res = await api("POST", "/v1/keys", { key: t.admin, json: { name: "edge sdk", role: "sdk", env: "production" } });
    expect(res.status).toBe(201);
    expect(res.body.key).toEqual({
      id: expect.stringMatching(/^key_/),
      name: "edge sdk",
      role: "sdk",
      env: "production",
      prefix: expect.stringMatching(new RegExp(`^ks_${t.id}_`)),
      createdAt: expect.any(String),
      lastUsedAt: null,
    });
    expect(res.body.secret.startsWith(res.body.key.prefix)).toBe(true);
    const list = await api("GET", "/v1/keys?limit=500", { key: t.admin });
    const listed = list.body.items.find((k: { id: string }) => k.id === res.body.key.id);
    expect(listed).toEqual(res.body.key);
    expect(JSON.stringify(list.body)).not.toContain(res.body.secret.slice(-20));
  });

  it("binds sdk keys, and only sdk keys, to an existing environment", async () => {
    const noEnv = await api("POST", "/v1/keys", { key: t.admin, json: { name: "s", role: "sdk" } });
    expect(noEnv.status).toBe(400);
    expect(noEnv.body.errors[0].path).toBe("env");
    const viewerEnv = await api("POST", "/v1/keys", { key: t.admin, json: { name: "v", role: "viewer", env: "production" } });
    expect(viewerEnv.status).toBe(400);
    const missing = await api("POST", "/v1/keys", { key: t.admin, json: { name: "s", role: "sdk", env: "nowhere" } });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0]).toMatchObject({ path: "env", message: expect.stringContaining("nowhere") });
  });

  it("revokes a key on its very next request, and only once", async () => {
    const created = await api("POST", "/v1/keys", { key: t.admin, json: { name: "temp", role: "operator" } });
    const secret: string = created.body.secret;
    expect((await api("GET", "/v1/flags", { key: secret })).status).toBe(200);
    expect((await api("DELETE", `/v1/keys/${created.body.key.id}`, { key: t.admin })).status).toBe(204);
    expect((await api("GET", "/v1/flags", { key: secret })).status).toBe(401);
    expect((await api("DELETE", `/v1/keys/${created.body.key.id}`, { key: t.admin })).status).toBe(404);
    const list = await api("GET", "/v1/keys?limit=500", { key: t.admin });
    expect(list.body.items.some((k: { id: string }) => k.id === created.body.key.id)).toBe(false);
  });

  it("records when a key was last used", async () => {
    const created = await api("POST", "/v1/keys", { key: t.admin, json: { name: "used", role: "viewer" } });
    await api("GET", "/v1/flags", { key: created.body.secret });
    let lastUsedAt: string | null = null;
    for (let i = 0; i < 50 && lastUsedAt === null; i++) {
      const list = await api("GET", "/v1/keys?limit=500", { key: t.admin });
      lastUsedAt = list.body.items.find((k: { id: string }) => k.id === created.body.key.id).lastUsedAt;
      if (lastUsedAt === null) await new Promise((r) => setTimeout(r, 20));
    }
    expect(lastUsedAt).not.toBeNull();
  });
});

describe("environments", () => {
  it("creates an environment once; a second create answers 409", async () => {
    const res = await api("POST", "/v1/envs", { key: t.admin, json: { key: "staging" } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ key: "staging", version: 0 });
    const again = await api("POST", "/v1/envs", { key: t.admin, json: { key: "staging" } });
    expect(again.status).toBe(409);
  });

  it("pages with limit and cursor", async () => {
    const other = await createTenant(target, api);
    for (const key of ["a-env", "b-env", "c-env"]) await api("POST", "/v1/envs", { key: other.admin, json: { key } });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await api("GET", `/v1/envs?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { key: other.viewer });
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((e: { key: string }) => e.key));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(["a-env", "b-env", "c-env", "production"]);
    expect((await api("GET", "/v1/envs?cursor=garbage", { key: other.viewer })).status).toBe(400);
  });
});
