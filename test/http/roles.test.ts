/**
 * The app's role checks and the audit checkpoint of a write, in-process (auth.ts):
 * a key without the role is refused 403 with the role it needs, and a write answers
 * with the audit entry it appended, as the chain holds it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { silentBroadcaster } from "../../src/core/broadcaster.js";
import { createApp } from "../../src/http/create-app.js";
import { openTempStore, type TempStore } from "../support/temp-db.js";

let t: TempStore;
afterEach(() => t?.close());

const SYSTEM = { keyId: null, name: "test", role: "system" } as const;

async function app() {
  t = await openTempStore();
  const { tenant } = await t.store.createTenant({ name: "acme" });
  await t.store.createFlag(tenant.id, SYSTEM, { key: "model.a", kind: "boolean" });
  const keyOf = async (role: "admin" | "operator" | "viewer") => (await t.store.createKey(tenant.id, SYSTEM, { name: role, role })).secret;
  const keys = { admin: await keyOf("admin"), operator: await keyOf("operator"), viewer: await keyOf("viewer") };
  const request = (key: string, method: string, path: string, body?: unknown) =>
    createApp({ store: t.store, broadcaster: silentBroadcaster }).request(path, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  return { tenantId: tenant.id, keys, request };
}

describe("a key without the role", () => {
  it("is told which role the route needs, and that a stronger one would do", async () => {
    const { keys, request } = await app();
    const res = await request(keys.viewer, "POST", "/v1/envs/production/flags/model.a/kill", { reason: "r" });
    expect(res.status).toBe(403);
    expect((await res.json()).detail).toBe("This needs the operator role or higher; the key is viewer.");
  });

  it("is told that a route needs the admin role, which nothing is higher than", async () => {
    const { keys, request } = await app();
    const res = await request(keys.operator, "GET", "/v1/keys");
    expect(res.status).toBe(403);
    expect((await res.json()).detail).toBe("This needs the admin role; the key is operator.");
  });
});

describe("a write", () => {
  it("answers with the audit entry it appended: its seq and hash, as the chain's head holds them", async () => {
    const { tenantId, keys, request } = await app();
    const res = await request(keys.operator, "POST", "/v1/envs/production/flags/model.a/kill", { reason: "incident 7" });
    expect(res.status).toBe(200);
    const { audit } = await res.json();
    const head = await t.store.auditHead(tenantId);
    expect(head.seq).toBeGreaterThan(1); // the tenant's, the flag's and the keys' entries came first
    expect(audit).toEqual({ seq: head.seq, hash: head.hash });
  });
});
