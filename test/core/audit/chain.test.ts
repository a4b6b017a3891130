import { describe, expect, it } from "vitest";
import { findBreak, GENESIS_HASH, sealEntry, type AuditRow } from "../../../src/core/audit/chain.js";
import { canonicalJson } from "../../../src/core/canonical-json.js";
import { sha256Hex } from "../../../src/core/crypto.js";

const actor = { keyId: "key_1", name: "ops", role: "operator" as const };

async function chain(length: number): Promise<AuditRow[]> {
  const rows: AuditRow[] = [];
  for (let i = 0; i < length; i++) {
    const head = rows.at(-1) ?? null;
    rows.push(
      await sealEntry("tenant0001", head, 1_700_000_000_000 + i, actor, {
        action: "flag.kill",
        entity: "flag-config",
        key: `flag-${i}`,
        env: "production",
        before: { enabled: true, variants: { on: true, off: false } },
        after: { enabled: false, variants: { on: true, off: false } },
        reason: `reason ${i}`,
      }),
    );
  }
  return rows;
}

describe("the audit chain", () => {
  it("links each entry to the previous hash, starting from the genesis hash", async () => {
    const rows = await chain(3);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(rows[0]!.prevHash).toBe(GENESIS_HASH);
    expect(rows[1]!.prevHash).toBe(rows[0]!.hash);
    expect(rows[2]!.prevHash).toBe(rows[1]!.hash);
  });

  it("hashes sha256(prevHash + canonical entry)", async () => {
    const [row] = await chain(1);
    const entry = {
      tenantId: "tenant0001",
      seq: 1,
      at: 1_700_000_000_000,
      actor,
      action: "flag.kill",
      entity: "flag-config",
      key: "flag-0",
      env: "production",
      before: { enabled: true, variants: { on: true, off: false } },
      after: { enabled: false, variants: { on: true, off: false } },
      reason: "reason 0",
      directive: null,
    };
    expect(row!.hash).toBe(await sha256Hex(GENESIS_HASH + canonicalJson(entry)));
  });

  it("keeps before/after in their original key order in storage", async () => {
    const [row] = await chain(1);
    expect(row!.after).toBe('{"enabled":false,"variants":{"on":true,"off":false}}');
  });

  it("finds no break in an intact chain, also when checked in chunks", async () => {
    const rows = await chain(5);
    expect(await findBreak(rows, null)).toBeUndefined();
    expect(await findBreak(rows.slice(2), { seq: rows[1]!.seq, hash: rows[1]!.hash })).toBeUndefined();
  });

  it.each([
    ["an edited reason", (rows: AuditRow[]) => (rows[2]!.reason = "edited"), 3],
    ["an edited after", (rows: AuditRow[]) => (rows[1]!.after = '{"enabled":true}'), 2],
    ["after made unparseable", (rows: AuditRow[]) => (rows[1]!.after = "{"), 2],
    ["an edited actor", (rows: AuditRow[]) => (rows[0]!.actorName = "someone"), 1],
    ["a deleted row", (rows: AuditRow[]) => rows.splice(2, 1), 4],
    ["a recomputed hash", (rows: AuditRow[]) => (rows[3]!.hash = "f".repeat(64)), 4],
  ])("reports %s at the first row that no longer fits", async (_name, tamper, brokenAt) => {
    const rows = await chain(5);
    tamper(rows);
    expect(await findBreak(rows, null)).toBe(brokenAt);
  });
});
