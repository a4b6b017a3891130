/**
 * The audit chain: append-only, hash-chained per tenant.
 * `hash = sha256(prevHash + canonicalJson(entry))`, where the entry holds every
 * column but the two hashes. Editing, deleting or reordering a row breaks the chain
 * from that row on.
 */
import type { Actor } from "../actor.js";
import { canonicalJson } from "../canonical-json.js";
import { sha256Hex, type Sha256Hex } from "../crypto.js";
import type { auditLog } from "../db/schema.js";

export const GENESIS_HASH = "0".repeat(64);

export type AuditEntity = "tenant" | "environment" | "key" | "flag" | "flag-config" | "segment" | "attribute";

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

/** The last entry of a tenant's chain; null before the first. */
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

/** The next row of the chain, ready to insert. */
export async function sealEntry(
  tenantId: string,
  head: AuditHead | null,
  at: number,
  actor: Actor,
  draft: AuditDraft,
  hash: Sha256Hex = sha256Hex,
): Promise<AuditRow> {
  const entry: HashedEntry = {
    tenantId,
    seq: (head?.seq ?? 0) + 1,
    at,
    actor: { keyId: actor.keyId, name: actor.name, role: actor.role },
    action: draft.action,
    entity: draft.entity,
    key: draft.key,
    env: draft.env ?? null,
    before: draft.before ?? null,
    after: draft.after ?? null,
    reason: draft.reason ?? null,
    directive: draft.directive ?? null,
  };
  const prevHash = head?.hash ?? GENESIS_HASH;
  return {
    tenantId,
    seq: entry.seq,
    at,
    actorKeyId: entry.actor.keyId,
    actorName: entry.actor.name,
    actorRole: entry.actor.role,
    action: entry.action,
    entity: entry.entity,
    entityKey: entry.key,
    env: entry.env,
    before: entry.before === null ? null : JSON.stringify(entry.before),
    after: entry.after === null ? null : JSON.stringify(entry.after),
    reason: entry.reason,
    directive: entry.directive,
    prevHash,
    hash: await hashEntry(hash, prevHash, entry),
  };
}

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

/**
 * Checks rows in seq order, continuing from `previous` (the last row already
 * checked, or null at the start). Answers the seq of the first broken row, if any.
 */
export async function findBreak(
  rows: readonly AuditRow[],
  previous: AuditHead | null,
  hash: Sha256Hex = sha256Hex,
): Promise<number | undefined> {
  let prev = previous;
  for (const row of rows) {
    const expectedSeq = (prev?.seq ?? 0) + 1;
    const expectedPrevHash = prev?.hash ?? GENESIS_HASH;
    const entry = entryOf(row);
    if (row.seq !== expectedSeq || row.prevHash !== expectedPrevHash || entry === null) return row.seq;
    if ((await hashEntry(hash, row.prevHash, entry)) !== row.hash) return row.seq;
    prev = { seq: row.seq, hash: row.hash };
  }
  return undefined;
}
