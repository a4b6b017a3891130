import { afterEach, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../../../src/core/actor.js";
import { openTempStore, type TempStore } from "../../support/temp-db.js";

let t: TempStore;
afterEach(() => t.close());

describe("authenticate", () => {
  it("finds an unrevoked key by its token, and nothing for a near miss", async () => {
    t = await openTempStore();
    const { tenant, adminKey, adminKeyId } = await t.store.createTenant({ name: "acme" });
    expect(await t.store.authenticate(adminKey)).toEqual({ tenantId: tenant.id, keyId: adminKeyId, name: "admin", role: "admin", env: null });

    // Same tenant and prefix, different secret: the prefix finds the row, the hash refuses it.
    const lastChar = adminKey.at(-1) === "A" ? "B" : "A";
    expect(await t.store.authenticate(adminKey.slice(0, -1) + lastChar)).toBeNull();
    // The right secret under another tenant's id.
    const other = await t.store.createTenant({ name: "other" });
    expect(await t.store.authenticate(adminKey.replace(tenant.id, other.tenant.id))).toBeNull();
    expect(await t.store.authenticate("not a token")).toBeNull();
  });

  it("refuses a revoked key from the next call on", async () => {
    t = await openTempStore();
    const { tenant } = await t.store.createTenant({ name: "acme" });
    const { key, secret } = await t.store.createKey(tenant.id, SYSTEM_ACTOR, { name: "edge", role: "sdk", env: "production" });
    expect(await t.store.authenticate(secret)).toMatchObject({ keyId: key.id, role: "sdk", env: "production" });
    await t.store.revokeKey(tenant.id, SYSTEM_ACTOR, key.id, { reason: "leaked" });
    expect(await t.store.authenticate(secret)).toBeNull();
    await expect(t.store.revokeKey(tenant.id, SYSTEM_ACTOR, key.id, {})).rejects.toMatchObject({ status: 404 });
  });

  it("stores no secret, only its hash and prefix", async () => {
    t = await openTempStore();
    const { adminKey } = await t.store.createTenant({ name: "acme" });
    const rows = await t.database.client.execute("SELECT * FROM api_keys");
    const secret = adminKey.slice("ks_".length + 11);
    expect(JSON.stringify(rows.rows)).not.toContain(secret);
    expect(JSON.stringify(rows.rows)).toContain(secret.slice(0, 8));
  });
});
