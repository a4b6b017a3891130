import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { and, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import { afterEach, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../../../src/core/actor.js";
import type { Broadcaster, EnvReset } from "../../../src/core/broadcaster.js";
import { auditLog, environments, signingKeys } from "../../../src/core/db/schema.js";
import { signBytes, verifyBytes, importPublicKey } from "../../../src/core/signing/ed25519.js";
import { EPOCH_PATTERN, newEpoch } from "../../../src/core/signing/epoch.js";
import { openTempStore, tempDir, type TempStore } from "../../support/temp-db.js";

const opened: TempStore[] = [];
afterEach(() => {
  for (const t of opened.splice(0)) t.close();
});

const open = async (options: Parameters<typeof openTempStore>[0] = {}) => {
  const t = await openTempStore(options);
  opened.push(t);
  return t;
};

const ADMIN = { keyId: "key_admin", name: "admin", role: "admin" as const };

/** A broadcaster that records the resets it is told of. */
function recorder(): Broadcaster & { resets: [string, string, EnvReset][] } {
  const resets: [string, string, EnvReset][] = [];
  return { resets, publish() {}, keyRevoked() {}, resetEnvironment: (tenantId, env, cause) => void resets.push([tenantId, env, cause]) };
}

async function auditActions(t: TempStore, tenantId: string): Promise<string[]> {
  const rows = await t.writeDb.select({ action: auditLog.action }).from(auditLog).where(eq(auditLog.tenantId, tenantId)).orderBy(auditLog.seq);
  return rows.map((r) => r.action);
}

describe("signing keys and epochs", () => {
  it("give a new tenant's environment, and each new one, a key pair and an epoch of its own", async () => {
    const t = await open();
    const { tenant } = await t.store.createTenant({ name: "acme" });
    await t.store.createEnvironment(tenant.id, SYSTEM_ACTOR, { key: "staging" });
    const production = await t.store.getSigningKeys(tenant.id, "production");
    const staging = await t.store.getSigningKeys(tenant.id, "staging");
    expect(production).toMatchObject({ env: "production", algorithm: "Ed25519", keys: [{ n: 1, status: "current" }] });
    expect(production.epoch).toMatch(EPOCH_PATTERN);
    expect(staging.keys[0]!.key).not.toBe(production.keys[0]!.key);
    expect(staging.epoch).not.toBe(production.epoch);
    // The private half is stored, usable, and matches the public one.
    const state = await t.store.signingState(tenant.id, "production");
    const bytes = new TextEncoder().encode("payload");
    const signature = await signBytes(state.signers[0]!.privateKey, bytes);
    expect(await verifyBytes(await importPublicKey(production.keys[0]!.key), signature, bytes)).toBe(true);
  });

  it("creates the key of an environment that has none on first use, once, audited as the system", async () => {
    const t = await open();
    const { tenant } = await t.store.createTenant({ name: "acme" });
    // An environment as it was before signing: no key, no epoch.
    await t.writeDb.delete(signingKeys).where(eq(signingKeys.tenantId, tenant.id));
    await t.writeDb.update(environments).set({ epoch: null }).where(eq(environments.tenantId, tenant.id));
    const second = await open({ dir: t.dir });
    // Two processes ask at once: one creates, the other finds it.
    const [a, b] = await Promise.all([t.store.getSigningKeys(tenant.id, "production"), second.store.getSigningKeys(tenant.id, "production")]);
    expect(a.keys).toHaveLength(1);
    expect(b).toEqual(a);
    expect(a.epoch).toMatch(EPOCH_PATTERN);
    const rows = await t.writeDb.select().from(signingKeys).where(eq(signingKeys.tenantId, tenant.id));
    expect(rows).toHaveLength(1);
    const created = await t.writeDb.select().from(auditLog).where(and(eq(auditLog.tenantId, tenant.id), eq(auditLog.action, "signing-key.create")));
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ actorRole: "system", env: "production" });
    expect(JSON.parse(created[0]!.after!)).toEqual({ signingKey: a.keys[0]!.key, n: 1, epoch: a.epoch });
    expect(created[0]!.after).not.toContain(rows[0]!.privateKey!);
    expect((await t.store.verifyAudit(tenant.id)).ok).toBe(true);
  });

  it("rotates: the new key signs with the old one until the overlap ends, then alone; audited without a private key", async () => {
    let now = Date.UTC(2026, 10, 25);
    const broadcaster = recorder();
    const t = await open({ clock: () => now, broadcaster });
    const { tenant } = await t.store.createTenant({ name: "acme" });
    const first = (await t.store.getSigningKeys(tenant.id, "production")).keys[0]!.key;
    const rotated = await t.store.rotateSigningKey(tenant.id, ADMIN, "production", { reason: "yearly", overlapSeconds: 60 });
    expect(rotated.keys.map((k) => [k.n, k.status, k.retiresAt])).toEqual([
      [2, "current", undefined],
      [1, "previous", new Date(now + 60_000).toISOString()],
    ]);
    expect(broadcaster.resets).toEqual([[tenant.id, "production", "key"]]);
    expect((await t.store.signingState(tenant.id, "production")).signers.map((k) => k.publicKey)).toEqual([rotated.keys[0]!.key, first]);
    now += 61_000;
    // Past the overlap: the view and new signatures have the current key only.
    expect((await t.store.getSigningKeys(tenant.id, "production")).keys.map((k) => k.n)).toEqual([2]);
    const third = await t.store.rotateSigningKey(tenant.id, ADMIN, "production", { reason: "again" });
    expect(third.keys.map((k) => [k.n, k.retiresAt])).toEqual([
      [3, undefined],
      [2, new Date(now + 86_400_000).toISOString()],
    ]);
    // Older keys are gone; the retired one's private half with them.
    const rows = await t.writeDb.select().from(signingKeys).where(eq(signingKeys.tenantId, tenant.id));
    expect(rows.map((r) => r.n).sort()).toEqual([2, 3]);
    const audit = await t.writeDb.select().from(auditLog).where(and(eq(auditLog.tenantId, tenant.id), eq(auditLog.action, "signing-key.rotate")));
    expect(audit.map((a) => a.reason)).toEqual(["yearly", "again"]);
    for (const row of rows) for (const entry of audit) expect(JSON.stringify(entry)).not.toContain(row.privateKey!);
  });

  it("stops the replaced key at once with an overlap of 0, and clears its private half", async () => {
    const t = await open();
    const { tenant } = await t.store.createTenant({ name: "acme" });
    const rotated = await t.store.rotateSigningKey(tenant.id, ADMIN, "production", { reason: "leaked", overlapSeconds: 0 });
    expect(rotated.keys.map((k) => k.n)).toEqual([2]);
    expect((await t.store.signingState(tenant.id, "production")).signers).toHaveLength(1);
    const [old] = await t.writeDb.select().from(signingKeys).where(and(eq(signingKeys.tenantId, tenant.id), eq(signingKeys.n, 1)));
    expect(old!.privateKey).toBeNull();
  });

  it("gives an environment a later epoch, keeps its version, and tells the broadcaster", async () => {
    const broadcaster = recorder();
    const t = await open({ broadcaster });
    const { tenant } = await t.store.createTenant({ name: "acme" });
    await t.store.createFlag(tenant.id, SYSTEM_ACTOR, { key: "f", kind: "boolean" });
    const before = await t.store.signingState(tenant.id, "production");
    const answer = await t.store.resetEpoch(tenant.id, ADMIN, "production", { reason: "restored" });
    expect(answer).toEqual({ env: "production", epoch: expect.stringMatching(EPOCH_PATTERN), version: 1 });
    expect(answer.epoch > before.epoch).toBe(true);
    expect((await t.store.signingState(tenant.id, "production")).epoch).toBe(answer.epoch);
    expect((await t.store.snapshot(tenant.id, "production")).epoch).toBe(answer.epoch);
    expect(broadcaster.resets).toEqual([[tenant.id, "production", "epoch"]]);
    await expect(t.store.resetEpoch(tenant.id, ADMIN, "nowhere", { reason: "r" })).rejects.toMatchObject({ status: 404 });
    expect(await auditActions(t, tenant.id)).toEqual(["tenant.create", "flag.create", "environment.epoch"]);
  });
});

describe("newEpoch", () => {
  it("sorts after the previous epoch, even when the clock went back", () => {
    const previous = newEpoch(Date.UTC(2026, 10, 25));
    const next = newEpoch(Date.UTC(2020, 0, 1), previous);
    expect(next > previous).toBe(true);
    expect(next).toMatch(EPOCH_PATTERN);
    expect(newEpoch(Date.UTC(2027, 0, 1), previous) > next).toBe(true);
  });
});

describe("an environment created before migration 0004", () => {
  it("gets an epoch from the migration and a signing key on first use", async () => {
    const dir = tempDir();
    // The migrations as they were before signing: 0000–0003.
    const old = join(dir, "migrations");
    mkdirSync(join(old, "meta"), { recursive: true });
    const repo = new URL("../../../migrations/", import.meta.url);
    const journal = JSON.parse(readFileSync(new URL("meta/_journal.json", repo), "utf8")) as { entries: { idx: number; tag: string }[] };
    journal.entries = journal.entries.filter((e) => e.idx < 4);
    writeFileSync(join(old, "meta", "_journal.json"), JSON.stringify(journal));
    for (const { tag } of journal.entries) copyFileSync(new URL(`${tag}.sql`, repo), join(old, `${tag}.sql`));
    const client = createClient({ url: `file:${join(dir, "killswitch.db")}` });
    await migrate(drizzle(client), { migrationsFolder: old });
    await client.execute("INSERT INTO tenants (id, name, created_at) VALUES ('oldtenant1', 'old', 1)");
    await client.execute("INSERT INTO environments (tenant_id, key, version, created_at) VALUES ('oldtenant1', 'production', 0, 1)");
    client.close();

    // The current code opens it: migration 0004 runs, and signing works.
    const t = await open({ dir });
    const [row] = await t.writeDb.select().from(environments).where(eq(environments.tenantId, "oldtenant1"));
    expect(row!.epoch).toMatch(EPOCH_PATTERN);
    const keys = await t.store.getSigningKeys("oldtenant1", "production");
    expect(keys).toMatchObject({ epoch: row!.epoch, keys: [{ n: 1, status: "current" }] });
    expect(await auditActions(t, "oldtenant1")).toEqual(["signing-key.create"]);
    const frames = await t.store.signingState("oldtenant1", "production");
    expect(frames.signers).toHaveLength(1);
  });
});
