import { describe, expect, it } from "vitest";
import { findBreaks, GENESIS_HASH, hashOfRow, sealEntry, type AuditDraft, type AuditRow } from "../../../src/core/audit/chain.js";
import { ProblemError } from "../../../src/core/problem.js";
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
        directive: `DIR-${i}`,
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
      directive: "DIR-0",
    };
    expect(row!.hash).toBe(await sha256Hex(GENESIS_HASH + canonicalJson(entry)));
  });

  it("keeps before/after in their original key order in storage", async () => {
    const [row] = await chain(1);
    expect(row!.after).toBe('{"enabled":false,"variants":{"on":true,"off":false}}');
  });

  it("finds no break in an intact chain, also when checked in chunks", async () => {
    const rows = await chain(5);
    expect((await findBreaks(rows, null)).breaks).toEqual([]);
    expect((await findBreaks(rows.slice(2), { seq: rows[1]!.seq, hash: rows[1]!.hash })).breaks).toEqual([]);
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
    expect((await findBreaks(rows, null)).breaks[0]).toBe(brokenAt);
  });

  it("reports every break, not only the first: one bad row does not mask a later tampering", async () => {
    const rows = await chain(8);
    rows[1]!.after = "{"; // a row that no longer parses
    rows[5]!.reason = "nothing happened"; // a later, real tampering
    expect((await findBreaks(rows, null)).breaks).toEqual([2, 6]);
  });

  it("detects a row edited and re-sealed at the next link", async () => {
    const rows = await chain(5);
    rows[2]!.reason = "edited";
    rows[2]!.hash = (await hashOfRow(rows[2]!))!; // its own hash fits again
    expect((await findBreaks(rows, null)).breaks).toEqual([4]);
  });

  // Every column but `hash` is hashed (or, for prev_hash, linked): editing any one breaks the chain there.
  const EDITS: [keyof AuditRow, unknown][] = [
    ["tenantId", "tenant0002"],
    ["seq", 30],
    ["at", 1],
    ["actorKeyId", "key_2"],
    ["actorName", "someone"],
    ["actorRole", "admin"],
    ["action", "flag.restore"],
    ["entity", "flag"],
    ["entityKey", "other-flag"],
    ["env", "staging"],
    ["before", '{"enabled":false,"variants":{"on":true,"off":false}}'],
    ["after", '{"enabled":true,"variants":{"on":true,"off":false}}'],
    ["reason", "edited"],
    ["directive", "DIR-edited"],
    ["prevHash", "e".repeat(64)],
  ];

  it.each(EDITS)("detects an edited %s", async (column, value) => {
    const rows = await chain(4);
    (rows[2] as unknown as Record<string, unknown>)[column] = value;
    expect((await findBreaks(rows, null)).breaks[0]).toBe(rows[2]!.seq); // the edited row, by the seq it stores
  });

  it.each(EDITS)("detects an edited %s even when the row is re-sealed", async (column, value) => {
    const rows = await chain(4);
    (rows[2] as unknown as Record<string, unknown>)[column] = value;
    rows[2]!.hash = (await hashOfRow(rows[2]!))!;
    expect((await findBreaks(rows, null)).breaks).not.toEqual([]);
  });

  it("hashes a __proto__ key like any other: adding one to after breaks the chain", async () => {
    const rows = await chain(3);
    rows[1]!.after = '{"__proto__":{"isAdmin":true},"enabled":false,"variants":{"on":true,"off":false}}';
    expect((await findBreaks(rows, null)).breaks).toEqual([2]);
  });

  it.each([
    ["reason", { reason: "before\u0000after" }, "reason"],
    ["directive", { directive: "EXPORT-\ud800" }, "directive"],
    ["key", { key: "a\udc00b" }, "key"],
  ])("refuses to seal a %s the database would not store as sent", async (_name, patch, path) => {
    const draft = { action: "flag.restore", entity: "flag-config" as const, key: "f", before: null, after: null, ...patch };
    const error = await sealEntry("tenant0001", null, 0, actor, draft).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProblemError);
    expect((error as ProblemError).status).toBe(400);
    expect((error as ProblemError).errors).toEqual([expect.objectContaining({ path })]);
  });

  it("says what is wrong with a refused text, and with which code, so that a caller can fix it", async () => {
    const draft = { action: "flag.restore", entity: "flag-config" as const, key: "f", before: null, after: null, reason: "a\u0000b" };
    const error = await sealEntry("tenant0001", null, 0, actor, draft).catch((e: unknown) => e);
    expect((error as ProblemError).errors).toEqual([
      { path: "reason", message: "contains U+0000 or an unpaired UTF-16 surrogate, which cannot be stored as sent", code: "invalid_string" },
    ]);
  });

  it("stores NUL and lone surrogates inside before/after escaped, and hashes them as stored", async () => {
    const row = await sealEntry("tenant0001", null, 0, actor, {
      action: "flag.update",
      entity: "flag",
      key: "f",
      before: null,
      after: { description: "a\u0000b\ud800" },
    });
    expect(row.after).toBe('{"description":"a\\u0000b\\ud800"}');
    expect((await findBreaks([row], null)).breaks).toEqual([]);
  });
});

describe("what the chain refuses to seal", () => {
  const draft: AuditDraft = { action: "flag.restore", entity: "flag-config", key: "f", env: "production", before: null, after: null, reason: "r", directive: "d" };
  const refusal = async (tenantId: string, who: typeof actor, fields: Partial<AuditDraft>) => {
    const error = await sealEntry(tenantId, null, 0, who, { ...draft, ...fields }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProblemError);
    return (error as ProblemError).errors?.map((e) => e.path);
  };

  // Every text column, by the name a caller knows it by.
  it.each([
    ["reason", "tenant0001", actor, { reason: "a\u0000" }],
    ["directive", "tenant0001", actor, { directive: "\u0000" }],
    ["key", "tenant0001", actor, { key: "\u0000" }],
    ["env", "tenant0001", actor, { env: "prod\u0000" }],
    ["action", "tenant0001", actor, { action: "flag.\u0000" }],
    ["entity", "tenant0001", actor, { entity: "flag\u0000" as AuditDraft["entity"] }],
    ["actor.name", "tenant0001", { ...actor, name: "ops\ud800" }, {}],
    ["actor.keyId", "tenant0001", { ...actor, keyId: "\udfff" }, {}],
    ["actor.role", "tenant0001", { ...actor, role: "\u0000" as "operator" }, {}],
    ["tenantId", "tenant\u0000", actor, {}],
  ])("refuses a %s that would not be stored as sent", async (path, tenantId, who, fields) => {
    expect(await refusal(tenantId, who, fields)).toEqual([path]);
  });

  it.each([
    ["a high surrogate at the end", "end\ud83d"],
    ["a low surrogate at the start", "\ude00start"],
    ["a low surrogate after another low one", "\ud83d\ude00\ude00"],
    ["two high surrogates", "\ud83d\ud83d\ude00"],
  ])("refuses %s", async (_name, reason) => {
    expect(await refusal("tenant0001", actor, { reason })).toEqual(["reason"]);
  });

  it("seals text with surrogate pairs and nulls where a column may be null", async () => {
    const row = await sealEntry("tenant0001", null, 0, { keyId: null, name: "root", role: "root" } as never, {
      ...draft,
      env: undefined,
      reason: "blocked 😀 by 𝔘𝔖",
      directive: undefined,
    });
    expect(row).toMatchObject({ reason: "blocked 😀 by 𝔘𝔖", env: null, directive: null, actorKeyId: null, before: null, after: null });
    expect((await findBreaks([row], null)).breaks).toEqual([]);
  });

  it("stores an absent before or after as null, and hashes it as null", async () => {
    const row = await sealEntry("tenant0001", null, 0, actor, { ...draft, before: undefined, after: { enabled: false } });
    expect(row.before).toBeNull();
    expect(row.after).toBe('{"enabled":false}');
    expect(row.hash).toBe(
      await sha256Hex(
        GENESIS_HASH +
          canonicalJson({
            tenantId: "tenant0001",
            seq: 1,
            at: 0,
            actor,
            action: "flag.restore",
            entity: "flag-config",
            key: "f",
            env: "production",
            before: null,
            after: { enabled: false },
            reason: "r",
            directive: "d",
          }),
      ),
    );
  });

  it("continues the chain from the head it is given", async () => {
    const row = await sealEntry("tenant0001", { seq: 41, hash: "a".repeat(64) }, 0, actor, draft);
    expect(row).toMatchObject({ seq: 42, prevHash: "a".repeat(64) });
    expect((await findBreaks([row], { seq: 41, hash: "a".repeat(64) })).breaks).toEqual([]);
    expect((await findBreaks([row], { seq: 40, hash: "a".repeat(64) })).breaks).toEqual([42]);
    expect((await findBreaks([row], null)).breaks).toEqual([42]);
  });
});
