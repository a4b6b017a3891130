/**
 * Reading and verifying a tenant's audit chain.
 */
import { and, asc, count, desc, eq, gt, lt } from "drizzle-orm";
import { findBreak, type AuditHead, type AuditRow } from "../audit/chain.js";
import { auditLog } from "../db/schema.js";
import { decodeCursor, toPage } from "../paging.js";
import type { PageQuery, Page } from "../schemas/paging.js";
import type { AuditEntryView, AuditVerification } from "../schemas/responses.js";
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

/** Newest first. */
export async function listAudit(ctx: StoreContext, tenantId: string, query: PageQuery): Promise<Page<AuditEntryView>> {
  const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor, ["number"] as const)[0];
  const rows = await ctx.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.tenantId, tenantId), before === undefined ? undefined : lt(auditLog.seq, before)))
    .orderBy(desc(auditLog.seq))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, auditEntryView, (row) => [row.seq]);
}

const VERIFY_CHUNK = 500;

/** Recomputes the whole chain, oldest first, a chunk at a time. `entries` counts every entry. */
export async function verifyAudit(ctx: StoreContext, tenantId: string): Promise<AuditVerification> {
  let previous: AuditHead | null = null;
  let entries = 0;
  for (;;) {
    const rows: AuditRow[] = await ctx.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, tenantId), previous === null ? undefined : gt(auditLog.seq, previous.seq)))
      .orderBy(asc(auditLog.seq))
      .limit(VERIFY_CHUNK);
    const brokenAt = await findBreak(rows, previous, ctx.sha256);
    if (brokenAt !== undefined) {
      const [total] = await ctx.db.select({ n: count() }).from(auditLog).where(eq(auditLog.tenantId, tenantId));
      return { ok: false, entries: total?.n ?? 0, brokenAt };
    }
    entries += rows.length;
    const last = rows[rows.length - 1];
    if (rows.length < VERIFY_CHUNK || last === undefined) return { ok: true, entries };
    previous = { seq: last.seq, hash: last.hash };
  }
}
