/**
 * The audit chain as stored: what verify finds when rows are edited, deleted or
 * truncated behind the service's back, and checkpoints kept outside the database.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Actor } from "../../../src/core/actor.js";
import type { AuditHead } from "../../../src/core/audit/chain.js";
import type { CommittedChange } from "../../../src/core/broadcaster.js";
import { MAX_LISTED_BREAKS } from "../../../src/core/store/audit-log.js";
import { mergeChanges } from "../../../src/core/stream/merge-changes.js";
import { openTempStore, type TempStore } from "../../support/temp-db.js";

let t: TempStore;
afterEach(() => t.close());

const operator: Actor = { keyId: "key_000000000001", name: "ops", role: "operator" };

/** A tenant with a flag killed and restored: entries 1 (tenant) to 4. */
async function setup(published: CommittedChange[] = []) {
  t = await openTempStore({ broadcaster: { publish: (c) => published.push(c), keyRevoked: () => {} } });
  const { tenant } = await t.store.createTenant({ name: "acme" });
  const tenantId = tenant.id;
  await t.store.createFlag(tenantId, operator, { key: "model.fable-5", kind: "boolean" });
  await t.store.killFlag(tenantId, operator, "production", "model.fable-5", { reason: "directive", directive: "EXPORT-1" });
  await t.store.restoreFlag(tenantId, operator, "production", "model.fable-5", { reason: "clarified" });
  const sql = (statement: string, ...args: (string | number)[]) => t.database.client.execute({ sql: statement, args: [...args] });
  return { store: t.store, tenantId, sql };
}

describe("verify", () => {
  it("checks an intact chain: ok, every entry counted, no break", async () => {
    const { store, tenantId } = await setup();
    expect(await store.verifyAudit(tenantId)).toEqual({ ok: true, entries: 4, breaks: [] });
  });

  // Each column of audit_log but `hash` itself, edited in the database, breaks the chain.
  it.each([
    ["at", "at = at + 1"],
    ["actor_key_id", "actor_key_id = 'key_999999999999'"],
    ["actor_name", "actor_name = 'someone else'"],
    ["actor_role", "actor_role = 'admin'"],
    ["action", "action = 'flag.restore'"],
    ["entity", "entity = 'flag'"],
    ["entity_key", "entity_key = 'model.other'"],
    ["env", "env = 'staging'"],
    ["before", `before = '{"enabled":false}'`],
    ["after", `after = '{"enabled":true}'`],
    ["reason", "reason = 'nothing happened'"],
    ["directive", "directive = 'EXPORT-2'"],
    ["prev_hash", `prev_hash = '${"0".repeat(64)}'`],
  ])("detects an edited %s", async (_column, assignment) => {
    const { store, tenantId, sql } = await setup();
    await sql(`UPDATE audit_log SET ${assignment} WHERE tenant_id = ? AND seq = 3`, tenantId);
    expect(await store.verifyAudit(tenantId)).toEqual({ ok: false, entries: 4, breaks: [3], brokenAt: 3 });
  });

  it("detects a __proto__ key put into after, and the audit log shows it as stored", async () => {
    const { store, tenantId, sql } = await setup();
    const { rows } = await sql("SELECT after FROM audit_log WHERE tenant_id = ? AND seq = 3", tenantId);
    const tampered = `{"__proto__":{"isAdmin":true},${String(rows[0]!.after).slice(1)}`;
    await sql("UPDATE audit_log SET after = ? WHERE tenant_id = ? AND seq = 3", tampered, tenantId);

    expect(await store.verifyAudit(tenantId)).toMatchObject({ ok: false, breaks: [3] });
    const [entry] = (await store.listAudit(tenantId, { limit: 1, cursor: "WzRd" })).items; // before seq 4: seq 3
    expect(entry!.seq).toBe(3);
    expect(Object.getOwnPropertyNames(entry!.after)).toContain("__proto__");
    expect(JSON.stringify(entry!.after)).toContain('"__proto__":{"isAdmin":true}');
  });

  it("reports every break, so that one bad row does not mask a later tampering", async () => {
    const { store, tenantId, sql } = await setup();
    await sql("UPDATE audit_log SET after = '{' WHERE tenant_id = ? AND seq = 2", tenantId);
    await sql("UPDATE audit_log SET reason = 'nothing happened' WHERE tenant_id = ? AND seq = 4", tenantId);
    expect(await store.verifyAudit(tenantId)).toEqual({ ok: false, entries: 4, breaks: [2, 4], brokenAt: 2 });
  });

  it("lists the first 100 breaks and still counts every entry", async () => {
    const { store, tenantId, sql } = await setup();
    for (let i = 0; i < 110; i++) await store.killFlag(tenantId, operator, "production", "model.fable-5", { reason: `r${i}` });
    await sql("UPDATE audit_log SET reason = 'rewritten' WHERE tenant_id = ? AND seq >= 3", tenantId);
    const verification = await store.verifyAudit(tenantId);
    expect(verification.entries).toBe(114);
    expect(verification.breaks).toEqual(Array.from({ length: MAX_LISTED_BREAKS }, (_, i) => i + 3));
    expect(verification.brokenAt).toBe(3);
  });

  it("reports the row after a gap left by a deleted row", async () => {
    const { store, tenantId, sql } = await setup();
    await sql("DELETE FROM audit_log WHERE tenant_id = ? AND seq = 2", tenantId);
    expect(await store.verifyAudit(tenantId)).toEqual({ ok: false, entries: 3, breaks: [3], brokenAt: 3 });
  });
});

describe("checkpoints", () => {
  it("answers the chain's newest entry as its head", async () => {
    const { store, tenantId, sql } = await setup();
    const { rows } = await sql("SELECT seq, hash, at FROM audit_log WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1", tenantId);
    expect(await store.auditHead(tenantId)).toEqual({
      seq: 4,
      hash: rows[0]!.hash,
      at: new Date(Number(rows[0]!.at)).toISOString(),
    });
  });

  it("tells the writing actor the entry its commit appended", async () => {
    const { store, tenantId } = await setup();
    const sealed: AuditHead[] = [];
    await store.killFlag(tenantId, { ...operator, onSealed: (head) => sealed.push(head) }, "production", "model.fable-5", { reason: "again" });
    const head = await store.auditHead(tenantId);
    expect(sealed).toEqual([{ seq: 5, hash: head.hash }]);
  });

  it("holds a checkpoint the chain still has", async () => {
    const { store, tenantId } = await setup();
    const head = await store.auditHead(tenantId);
    await store.killFlag(tenantId, operator, "production", "model.fable-5", { reason: "later" });
    expect(await store.verifyAudit(tenantId, { seq: head.seq, hash: head.hash })).toEqual({ ok: true, entries: 5, breaks: [] });
  });

  it("detects truncation of the newest rows, which verify alone cannot see", async () => {
    const { store, tenantId, sql } = await setup();
    const head = await store.auditHead(tenantId);
    await sql("DELETE FROM audit_log WHERE tenant_id = ? AND seq >= 3", tenantId);
    expect(await store.verifyAudit(tenantId)).toEqual({ ok: true, entries: 2, breaks: [] });
    expect(await store.verifyAudit(tenantId, { seq: head.seq, hash: head.hash })).toEqual({ ok: false, entries: 2, breaks: [], missing: 4 });
  });

  it("detects a chain rewritten from the checkpoint on, though it links up again", async () => {
    const { store, tenantId, sql } = await setup();
    const head = await store.auditHead(tenantId);
    await sql("DELETE FROM audit_log WHERE tenant_id = ? AND seq >= 4", tenantId);
    await store.createFlag(tenantId, operator, { key: "model.other", kind: "boolean" }); // a new seq 4
    expect(await store.verifyAudit(tenantId)).toEqual({ ok: true, entries: 4, breaks: [] });
    expect(await store.verifyAudit(tenantId, head)).toMatchObject({ ok: false, breaks: [], missing: 4 });
  });
});

describe("what is hashed is what is stored", () => {
  it("refuses a reason the database would cut at U+0000, writing nothing", async () => {
    const published: CommittedChange[] = [];
    const { store, tenantId } = await setup(published);
    const before = await store.getFlagConfig(tenantId, "production", "model.fable-5");
    const count = published.length;
    await expect(
      store.restoreFlag(tenantId, operator, "production", "model.fable-5", { reason: "before\u0000after" }),
    ).rejects.toMatchObject({ status: 400, errors: [expect.objectContaining({ path: "reason" })] });
    await expect(
      store.killFlag(tenantId, operator, "production", "model.fable-5", { reason: "r", directive: "EXPORT-\ud800" }),
    ).rejects.toMatchObject({ status: 400, errors: [expect.objectContaining({ path: "directive" })] });
    expect(await store.getFlagConfig(tenantId, "production", "model.fable-5")).toEqual(before);
    expect(published).toHaveLength(count);
    expect(await store.verifyAudit(tenantId)).toEqual({ ok: true, entries: 4, breaks: [] });
  });

  it("keeps U+0000 and lone surrogates inside a JSON column, and the chain verifies", async () => {
    const { store, tenantId } = await setup();
    await store.createFlag(tenantId, operator, { key: "model.nul", kind: "string", variants: { a: "x\u0000y", b: "\ud800" } });
    expect(await store.verifyAudit(tenantId)).toMatchObject({ ok: true, breaks: [] });
    const [entry] = (await store.listAudit(tenantId, { limit: 1 })).items;
    expect(entry!.after).toMatchObject({ variants: { a: "x\u0000y", b: "\ud800" } });
  });
});

describe("the audit entry of each change", () => {
  it("goes with the published change, the replayed one and the snapshot", async () => {
    const published: CommittedChange[] = [];
    const { store, tenantId, sql } = await setup(published);
    const { rows } = await sql("SELECT seq, hash FROM audit_log WHERE tenant_id = ? AND seq IN (3, 4) ORDER BY seq", tenantId);
    const kill = { seq: 3, hash: rows[0]!.hash };
    const restore = { seq: 4, hash: rows[1]!.hash };
    expect(published.filter((c) => c.env === "production").map((c) => [c.version, c.audit])).toEqual([
      [1, { seq: 2, hash: expect.any(String) }],
      [2, kill],
      [3, restore],
    ]);
    expect((await store.changesSince(tenantId, "production", 1))!.map((c) => c.audit)).toEqual([kill, restore]);
    expect((await store.snapshot(tenantId, "production")).audit).toEqual(restore);
    expect(await store.changeAudit(tenantId, "production", 2)).toEqual(kill);
    expect(await store.changeAudit(tenantId, "production", 9)).toBeNull();
  });
});

describe("keys read from the database", () => {
  it("keep any name, __proto__ included, in snapshots and replayed changes", async () => {
    const { store, tenantId, sql } = await setup();
    await sql("UPDATE flags SET key = '__proto__' WHERE tenant_id = ?", tenantId);
    await sql("UPDATE flag_configs SET flag_key = '__proto__' WHERE tenant_id = ?", tenantId);
    await sql("UPDATE change_log SET key = '__proto__' WHERE tenant_id = ? AND env = 'production'", tenantId);
    const snapshot = await store.snapshot(tenantId, "production");
    expect(Object.keys(snapshot.flags)).toEqual(["__proto__"]);
    expect(JSON.stringify(snapshot.flags)).toMatch(/^\{"__proto__":\{/);
    const changes = await store.changesSince(tenantId, "production", 0);
    expect(changes!.map((c) => Object.keys(c.flags))).toEqual([["__proto__"], ["__proto__"], ["__proto__"]]);
    expect(Object.keys(mergeChanges(changes!)!.flags)).toEqual(["__proto__"]);
  });
});
