/**
 * Reading and verifying a tenant's audit chain.
 */
import { and, asc, desc, eq, gt, gte, inArray, lt, or } from "drizzle-orm";
import { findBreaks, GENESIS_HASH, type AuditHead, type AuditRow } from "../audit/chain.js";
import { auditLog } from "../db/schema.js";
import { decodeCursor, toPage } from "../paging.js";
import type { AuditListQuery } from "../schemas/audit.js";
import type { Page } from "../schemas/paging.js";
import type { AuditEntryView, AuditHeadView, AuditVerification } from "../schemas/responses.js";
import type { StoreContext } from "./context.js";
import { isoTime } from "./views.js";

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    // A tampered row: show what is there; verification reports the break.
    return text;
  }
}

export const auditEntryView = (row: AuditRow): AuditEntryView => ({
  seq: row.seq,
  at: isoTime(row.at),
  actor: { keyId: row.actorKeyId, name: row.actorName, role: row.actorRole },
  action: row.action,
  entity: row.entity,
  key: row.entityKey,
  env: row.env,
  before: parseJson(row.before) as AuditEntryView["before"],
  after: parseJson(row.after) as AuditEntryView["after"],
  reason: row.reason,
  directive: row.directive,
  prevHash: row.prevHash,
  hash: row.hash,
});

/** Newest first, with every filter given holding. */
export async function listAudit(ctx: StoreContext, tenantId: string, query: AuditListQuery): Promise<Page<AuditEntryView>> {
  const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor, ["number"] as const)[0];
  const rows = await ctx.db
    .select()
    .from(auditLog)
    .where(
      and(
        eq(auditLog.tenantId, tenantId),
        before === undefined ? undefined : lt(auditLog.seq, before),
        query.flag === undefined ? undefined : and(eq(auditLog.entityKey, query.flag), inArray(auditLog.entity, ["flag", "flag-config"])),
        query.env === undefined ? undefined : eq(auditLog.env, query.env),
        query.actor === undefined ? undefined : or(eq(auditLog.actorKeyId, query.actor), eq(auditLog.actorName, query.actor)),
        query.directive === undefined ? undefined : eq(auditLog.directive, query.directive),
        query.action === undefined ? undefined : eq(auditLog.action, query.action),
        query.since === undefined ? undefined : gte(auditLog.at, query.since),
        query.until === undefined ? undefined : lt(auditLog.at, query.until),
      ),
    )
    .orderBy(desc(auditLog.seq))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, auditEntryView, (row) => [row.seq]);
}

const VERIFY_CHUNK = 500;
/** Breaks listed by verify; `brokenAt` and the count of entries still cover the whole chain. */
export const MAX_LISTED_BREAKS = 100;

/**
 * Recomputes the whole chain, oldest first, a chunk at a time. `entries` counts
 * every entry, `breaks` lists the first MAX_LISTED_BREAKS rows that do not fit.
 * With a `checkpoint` (a head kept outside the database), `missing` names its
 * seq when the chain no longer holds that entry with that hash: rows truncated
 * from the end, or the chain rewritten from there.
 */
export async function verifyAudit(ctx: StoreContext, tenantId: string, checkpoint?: AuditHead): Promise<AuditVerification> {
  let previous: AuditHead | null = null;
  let entries = 0;
  let held = false;
  const breaks: number[] = [];
  for (;;) {
    const rows: AuditRow[] = await ctx.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, tenantId), previous === null ? undefined : gt(auditLog.seq, previous.seq)))
      .orderBy(asc(auditLog.seq))
      .limit(VERIFY_CHUNK);
    const check = await findBreaks(rows, previous, ctx.sha256);
    for (const seq of check.breaks) if (breaks.length < MAX_LISTED_BREAKS) breaks.push(seq);
    if (checkpoint !== undefined) held ||= rows.some((row) => row.seq === checkpoint.seq && row.hash === checkpoint.hash);
    entries += rows.length;
    previous = check.last;
    if (rows.length < VERIFY_CHUNK) break;
  }
  const missing = checkpoint !== undefined && !held;
  const verification: AuditVerification = { ok: breaks.length === 0 && !missing, entries, breaks };
  if (breaks.length > 0) verification.brokenAt = breaks[0]!;
  if (missing) verification.missing = checkpoint.seq;
  return verification;
}

/** The newest entry of a tenant's chain: a checkpoint to keep outside the database. */
export async function auditHead(ctx: StoreContext, tenantId: string): Promise<AuditHeadView> {
  const [row] = await ctx.db
    .select({ seq: auditLog.seq, hash: auditLog.hash, at: auditLog.at })
    .from(auditLog)
    .where(eq(auditLog.tenantId, tenantId))
    .orderBy(desc(auditLog.seq))
    .limit(1);
  return row ? { seq: row.seq, hash: row.hash, at: isoTime(row.at) } : { seq: 0, hash: GENESIS_HASH, at: null };
}
