/**
 * The audit chain: append-only, hash-chained per tenant.
 * `hash = sha256(prevHash + canonicalJson(entry))`, where the entry holds every
 * column but the two hashes. Editing, deleting or reordering a row breaks the chain
 * from that row on.
 *
 * What is hashed is what is stored: an entry is hashed as it reads back from its
 * row (`before`/`after` parsed from the JSON text written), and a text column
 * that the database would not store as given (U+0000 cuts it, a lone surrogate
 * becomes U+FFFD) is refused before anything is written.
 */
import type { Actor } from "../actor.js";
import { canonicalJson } from "../canonical-json.js";
import { sha256Hex, type Sha256Hex } from "../crypto.js";
import type { auditLog } from "../db/schema.js";
import { invalidField } from "../problem.js";

export const GENESIS_HASH = "0".repeat(64);

export type AuditEntity = "tenant" | "environment" | "key" | "flag" | "flag-config" | "segment" | "attribute" | "directive" | "schedule" | "webhook";

/** What a mutation says about itself; the chain adds who, when, seq and hashes. */
export interface AuditDraft {
  action: string;
  entity: AuditEntity;
  key: string;
  env?: string | null;
  before: unknown;
  after: unknown;
  reason?: string | null;
  directive?: string | null;
}

/** One entry of a chain, as a checkpoint names it; as the last entry, the chain's head (null before the first). */
export interface AuditHead {
  seq: number;
  hash: string;
}

export type AuditRow = typeof auditLog.$inferSelect;

interface HashedEntry {
  tenantId: string;
  seq: number;
  at: number;
  actor: { keyId: string | null; name: string; role: string };
  action: string;
  entity: string;
  key: string;
  env: string | null;
  before: unknown;
  after: unknown;
  reason: string | null;
  directive: string | null;
}

const hashEntry = (hash: Sha256Hex, prevHash: string, entry: HashedEntry): string | Promise<string> =>
  hash(prevHash + canonicalJson(entry));

/**
 * The next row of the chain, ready to insert. Throws a 400 ProblemError when a
 * text column would not be stored as given (see the file's comment).
 */
export async function sealEntry(
  tenantId: string,
  head: AuditHead | null,
  at: number,
  actor: Actor,
  draft: AuditDraft,
  hash: Sha256Hex = sha256Hex,
): Promise<AuditRow> {
  const row: AuditRow = {
    tenantId,
    seq: (head?.seq ?? 0) + 1,
    at,
    actorKeyId: actor.keyId,
    actorName: actor.name,
    actorRole: actor.role,
    action: draft.action,
    entity: draft.entity,
    entityKey: draft.key,
    env: draft.env ?? null,
    before: jsonText(draft.before),
    after: jsonText(draft.after),
    reason: draft.reason ?? null,
    directive: draft.directive ?? null,
    prevHash: head?.hash ?? GENESIS_HASH,
    hash: "",
  };
  for (const [column, path] of TEXT_COLUMNS) {
    const text = row[column];
    if (text !== null && UNSTORABLE.test(text)) {
      throw invalidField(path, "contains U+0000 or an unpaired UTF-16 surrogate, which cannot be stored as sent", "invalid_string");
    }
  }
  row.hash = (await hashOfRow(row, hash))!;
  return row;
}

/** JSON escapes U+0000 and lone surrogates, so the JSON columns always store what was sent. */
const jsonText = (value: unknown): string | null => (value === undefined || value === null ? null : JSON.stringify(value));

/** U+0000, a high surrogate without a low one after it, or a low surrogate without a high one before it. */
const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The plain text columns, each with the name a caller knows it by. */
const TEXT_COLUMNS = [
  ["reason", "reason"],
  ["directive", "directive"],
  ["entityKey", "key"],
  ["env", "env"],
  ["actorName", "actor.name"],
  ["actorKeyId", "actor.keyId"],
  ["actorRole", "actor.role"],
  ["action", "action"],
  ["entity", "entity"],
  ["tenantId", "tenantId"],
] as const;

/** The entry a stored row claims, or null when its JSON columns no longer parse. */
function entryOf(row: AuditRow): HashedEntry | null {
  try {
    return {
      tenantId: row.tenantId,
      seq: row.seq,
      at: row.at,
      actor: { keyId: row.actorKeyId, name: row.actorName, role: row.actorRole },
      action: row.action,
      entity: row.entity,
      key: row.entityKey,
      env: row.env,
      before: row.before === null ? null : JSON.parse(row.before),
      after: row.after === null ? null : JSON.parse(row.after),
      reason: row.reason,
      directive: row.directive,
    };
  } catch {
    return null;
  }
}

/** The hash a row's content and `prevHash` give, or null when its JSON columns no longer parse. */
export async function hashOfRow(row: AuditRow, hash: Sha256Hex = sha256Hex): Promise<string | null> {
  const entry = entryOf(row);
  return entry === null ? null : hashEntry(hash, row.prevHash, entry);
}

export interface ChainCheck {
  /** The seq of every row that does not fit, in order. */
  breaks: number[];
  /** The last row checked, to continue from with the next chunk. */
  last: AuditHead | null;
}

/**
 * Checks rows in seq order, continuing from `previous` (the last row already
 * checked, or null at the start). Each row is judged against the stored row
 * before it: its seq follows, its `prevHash` is that row's hash, and its own
 * content hashes to its `hash`. A broken row does not hide a later one: the
 * check goes on from what the broken row stores. Editing a row and recomputing
 * its hash breaks the next link; deleting rows breaks the row after the gap.
 */
export async function findBreaks(
  rows: readonly AuditRow[],
  previous: AuditHead | null,
  hash: Sha256Hex = sha256Hex,
): Promise<ChainCheck> {
  const breaks: number[] = [];
  let prev = previous;
  for (const row of rows) {
    const linked = row.seq === (prev?.seq ?? 0) + 1 && row.prevHash === (prev?.hash ?? GENESIS_HASH);
    if (!linked || (await hashOfRow(row, hash)) !== row.hash) breaks.push(row.seq);
    prev = { seq: row.seq, hash: row.hash };
  }
  return { breaks, last: prev };
}
