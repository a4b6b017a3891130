/**
 * The store's in-memory keys and environment versions, on a real database: what
 * the hot path (OFREP, /v1 authentication) reads without touching the database,
 * and why it is never stale for changes made through the store. Rows edited
 * behind the store's back show what is served from memory, and the entry points
 * a change-log tail would call.
 */
import { createHash } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SYSTEM_ACTOR } from "../../../src/core/actor.js";
import { silentBroadcaster } from "../../../src/core/broadcaster.js";
import type { Executor } from "../../../src/core/db/executor.js";
import { createStore, type Store } from "../../../src/core/store/index.js";
import { openTempStore, type TempStore } from "../../support/temp-db.js";

let t: TempStore;
afterEach(() => t.close());

const sql = (statement: string, args: (string | number)[] = []) => t.database.client.execute({ sql: statement, args });

async function tenantWithSdkKey(store: Store = t.store) {
  const { tenant } = await store.createTenant({ name: "acme" });
  const { key, secret } = await store.createKey(tenant.id, SYSTEM_ACTOR, { name: "edge", role: "sdk", env: "production" });
  return { tenantId: tenant.id, keyId: key.id, secret };
}

describe("authentication from memory", () => {
  it("answers a known key without reading its row again", async () => {
    t = await openTempStore();
    const { tenantId, keyId, secret } = await tenantWithSdkKey();
    expect(await t.store.authenticate(secret)).toMatchObject({ keyId });
    await sql("UPDATE api_keys SET name = 'renamed behind the store' WHERE tenant_id = ? AND id = ?", [tenantId, keyId]);
    expect(await t.store.authenticate(secret)).toMatchObject({ keyId, name: "edge" });
  });

  it("refuses a key revoked through the store on the next call", async () => {
    t = await openTempStore();
    const { tenantId, keyId, secret } = await tenantWithSdkKey();
    expect(await t.store.authenticate(secret)).not.toBeNull();
    await t.store.revokeKey(tenantId, SYSTEM_ACTOR, keyId, { reason: "leaked" });
    expect(await t.store.authenticate(secret)).toBeNull();
  });

  it("still hashes and compares the secret on every call: a near miss of a known key is refused", async () => {
    t = await openTempStore();
    const { secret } = await tenantWithSdkKey();
    expect(await t.store.authenticate(secret)).not.toBeNull();
    const nearMiss = secret.slice(0, -1) + (secret.at(-1) === "A" ? "B" : "A");
    expect(await t.store.authenticate(nearMiss)).toBeNull();
  });

  it("reads again after invalidateKey, the entry point for a revocation made elsewhere", async () => {
    t = await openTempStore();
    const { tenantId, keyId, secret } = await tenantWithSdkKey();
    expect(await t.store.authenticate(secret)).not.toBeNull();
    // Another process revokes the key: this store cannot know until told.
    await sql("UPDATE api_keys SET revoked_at = 1 WHERE tenant_id = ? AND id = ?", [tenantId, keyId]);
    expect(await t.store.authenticate(secret)).not.toBeNull();
    t.store.invalidateKey(tenantId, keyId);
    expect(await t.store.authenticate(secret)).toBeNull();
  });

  it("does not remember an unknown key: a key created elsewhere is found on its first use", async () => {
    t = await openTempStore();
    const { tenantId, secret } = await tenantWithSdkKey();
    expect(await t.store.authenticate(secret)).not.toBeNull();
    const other = await openTempStore({ dir: t.dir });
    try {
      const created = await other.store.createKey(tenantId, SYSTEM_ACTOR, { name: "made elsewhere", role: "viewer" });
      expect(await t.store.authenticate(created.secret)).toMatchObject({ keyId: created.key.id, role: "viewer" });
    } finally {
      other.database.close();
    }
  });

  it("finds a key created here whose prefix a known key already has", async () => {
    t = await openTempStore();
    const { tenantId, secret } = await tenantWithSdkKey();
    expect(await t.store.authenticate(secret)).not.toBeNull(); // its (tenant, prefix) is now in memory
    // The next secret starts with the same 6 bytes (8 base64url characters: the prefix), then differs.
    const first = Buffer.from(secret.slice(`ks_${tenantId}_`.length), "base64url");
    const random = crypto.getRandomValues.bind(crypto);
    vi.spyOn(crypto, "getRandomValues").mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
      random(array as Uint8Array);
      if (array instanceof Uint8Array && array.length === 32) array.set(first.subarray(0, 6));
      return array;
    });
    const created = await t.store.createKey(tenantId, SYSTEM_ACTOR, { name: "same prefix", role: "viewer" });
    vi.restoreAllMocks();
    expect(created.secret.slice(0, `ks_${tenantId}_`.length + 8)).toBe(secret.slice(0, `ks_${tenantId}_`.length + 8));
    expect(await t.store.authenticate(created.secret)).toMatchObject({ keyId: created.key.id, role: "viewer" });
    expect(await t.store.authenticate(secret)).toMatchObject({ role: "sdk" });
  });

  it("drops the key when a revocation's commit fails in a way that may have landed", async () => {
    t = await openTempStore();
    const { tenantId, keyId, secret } = await tenantWithSdkKey();
    const lostAnswer: Executor = {
      async commit(statements) {
        await t.database.executor.commit(statements);
        throw new Error("connection lost after the commit");
      },
    };
    const store = createStore({ db: t.database.db, executor: lostAnswer, broadcaster: silentBroadcaster });
    expect(await store.authenticate(secret)).not.toBeNull();
    await expect(store.revokeKey(tenantId, SYSTEM_ACTOR, keyId, {})).rejects.toThrow("connection lost");
    expect(await store.authenticate(secret)).toBeNull();
  });

  it("hashes with the host's sha256 when given one, synchronous or not", async () => {
    t = await openTempStore();
    const { secret } = await tenantWithSdkKey();
    const calls: string[] = [];
    const sync = createStore({
      db: t.database.db,
      executor: t.database.executor,
      broadcaster: silentBroadcaster,
      sha256: (text) => {
        calls.push("sync");
        return createHash("sha256").update(text).digest("hex");
      },
    });
    const async = createStore({
      db: t.database.db,
      executor: t.database.executor,
      broadcaster: silentBroadcaster,
      sha256: async (text) => {
        calls.push("async");
        return createHash("sha256").update(text).digest("hex");
      },
    });
    expect(await sync.authenticate(secret)).toMatchObject({ role: "sdk" });
    expect(await sync.authenticate(secret)).toMatchObject({ role: "sdk" });
    expect(await async.authenticate(secret)).toMatchObject({ role: "sdk" });
    expect(calls).toEqual(["sync", "sync", "async"]);
    const wrong = createStore({ db: t.database.db, executor: t.database.executor, broadcaster: silentBroadcaster, sha256: () => "0".repeat(64) });
    expect(await wrong.authenticate(secret)).toBeNull();
  });
});

describe("environment versions from memory", () => {
  it("knows every version it commits, without reading the environment row", async () => {
    t = await openTempStore();
    const { tenantId } = await tenantWithSdkKey();
    expect(await t.store.envVersion(tenantId, "production")).toBe(0);
    await sql("UPDATE environments SET version = 99 WHERE tenant_id = ? AND key = 'production'", [tenantId]);
    expect(await t.store.envVersion(tenantId, "production")).toBe(0);
    await sql("UPDATE environments SET version = 0 WHERE tenant_id = ? AND key = 'production'", [tenantId]);
    await t.store.createFlag(tenantId, SYSTEM_ACTOR, { key: "f", kind: "boolean" });
    expect(t.store.envVersion(tenantId, "production")).toBe(1); // a plain number: no await on the hot path
    const { version } = await t.store.killFlag(tenantId, SYSTEM_ACTOR, "production", "f", { reason: "now" });
    expect(t.store.envVersion(tenantId, "production")).toBe(version);
    expect((await t.store.getEnvironment(tenantId, "production")).version).toBe(version);
  });

  it("moves on invalidateEnvironment, the entry point for a commit made elsewhere", async () => {
    t = await openTempStore();
    const { tenantId } = await tenantWithSdkKey();
    expect(await t.store.envVersion(tenantId, "production")).toBe(0);
    await sql("UPDATE environments SET version = 7 WHERE tenant_id = ? AND key = 'production'", [tenantId]);
    t.store.invalidateEnvironment(tenantId, "production");
    expect(await t.store.envVersion(tenantId, "production")).toBe(7);
    t.store.invalidateEnvironment(tenantId, "production", 9);
    expect(await t.store.envVersion(tenantId, "production")).toBe(9);
    t.store.invalidateEnvironment(tenantId, "production", 8); // never back
    expect(await t.store.envVersion(tenantId, "production")).toBe(9);
  });

  it("reads them again after a new epoch, which follows a restore that may have lowered them, and not after a key rotation", async () => {
    t = await openTempStore();
    const { tenantId } = await tenantWithSdkKey();
    await t.store.createFlag(tenantId, SYSTEM_ACTOR, { key: "f", kind: "boolean" });
    await t.store.killFlag(tenantId, SYSTEM_ACTOR, "production", "f", { reason: "now" });
    // The file restored from a backup taken at version 1.
    await sql("UPDATE environments SET version = 1 WHERE tenant_id = ? AND key = 'production'", [tenantId]);
    await t.store.rotateSigningKey(tenantId, SYSTEM_ACTOR, "production", { reason: "rotation" });
    expect(await t.store.envVersion(tenantId, "production")).toBe(2);
    await t.store.resetEpoch(tenantId, SYSTEM_ACTOR, "production", { reason: "restored" });
    expect(await t.store.envVersion(tenantId, "production")).toBe(1);
  });

  it("rejects an unknown environment without remembering it", async () => {
    t = await openTempStore();
    const { tenantId } = await tenantWithSdkKey();
    await expect(Promise.resolve(t.store.envVersion(tenantId, "staging"))).rejects.toMatchObject({ kind: "notFound" });
    await t.store.createEnvironment(tenantId, SYSTEM_ACTOR, { key: "staging" });
    expect(await t.store.envVersion(tenantId, "staging")).toBe(0);
  });

  it("reads the database again after a commit that failed in a way that may have landed", async () => {
    t = await openTempStore();
    const { tenantId } = await tenantWithSdkKey();
    let lose = false;
    const flaky: Executor = {
      async commit(statements) {
        await t.database.executor.commit(statements);
        if (lose) throw new Error("connection lost after the commit");
      },
    };
    const store = createStore({ db: t.database.db, executor: flaky, broadcaster: silentBroadcaster });
    await store.createFlag(tenantId, SYSTEM_ACTOR, { key: "f", kind: "boolean" });
    expect(await store.envVersion(tenantId, "production")).toBe(1);
    lose = true;
    await expect(store.killFlag(tenantId, SYSTEM_ACTOR, "production", "f", { reason: "now" })).rejects.toThrow("connection lost");
    expect(await store.envVersion(tenantId, "production")).toBe(2);
  });
});
