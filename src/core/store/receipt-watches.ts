/**
 * Receipt watches: committed versions whose propagation an endpoint wants to
 * hear about (`change.complete`, `change.incomplete`). The commit writes one
 * (outbox.ts) when an endpoint subscribes; the host's background loop claims
 * the due ones, reads the receipt, and either queues the event and ends the
 * watch, or looks again later.
 */
import { and, asc, eq, lte, sql } from "drizzle-orm";
import { auditLog, changeLog, receiptWatches } from "../db/schema.js";
import type { EventData, QueuedEvent } from "../webhooks/event.js";
import { claimDue } from "./claim-due.js";
import type { StoreContext } from "./context.js";
import { queueStatements } from "./outbox.js";

export interface ClaimedWatch {
  tenantId: string;
  env: string;
  version: number;
  committedAt: number;
  claimToken: string;
}

const whereWatch = (watch: ClaimedWatch) =>
  and(
    eq(receiptWatches.tenantId, watch.tenantId),
    eq(receiptWatches.env, watch.env),
    eq(receiptWatches.version, watch.version),
    eq(receiptWatches.claimToken, watch.claimToken),
  );

/** Claims up to `limit` due watches, earliest first, for `leaseMs`. */
export async function claimDueWatches(ctx: StoreContext, now: number, limit: number, leaseMs: number): Promise<ClaimedWatch[]> {
  const token = await claimDue(ctx, { table: receiptWatches, due: (w) => lte(w.checkAt, now), order: (w) => w.checkAt }, now, limit, leaseMs);
  const rows = await ctx.db
    .select({ tenantId: receiptWatches.tenantId, env: receiptWatches.env, version: receiptWatches.version, committedAt: receiptWatches.committedAt })
    .from(receiptWatches)
    .where(eq(receiptWatches.claimToken, token))
    .orderBy(asc(receiptWatches.checkAt));
  return rows.map((row) => ({ ...row, claimToken: token }));
}

/** Ends a watch, queueing its event in the same commit (nothing when the claim was lost). */
export async function finishWatch(ctx: StoreContext, watch: ClaimedWatch, event: QueuedEvent | null): Promise<void> {
  const now = ctx.clock();
  const queued = event === null ? [] : await queueStatements(ctx, watch.tenantId, now, [event]);
  await ctx.executor.commit([ctx.db.delete(receiptWatches).where(whereWatch(watch)), ...queued]);
  if (queued.length > 0) ctx.onDue(now);
}

/** Looks again at `checkAt`. */
export async function deferWatch(ctx: StoreContext, watch: ClaimedWatch, checkAt: number): Promise<void> {
  await ctx.executor.commit([ctx.db.update(receiptWatches).set({ checkAt, claimToken: null, claimedUntil: null }).where(whereWatch(watch))]);
  ctx.onDue(checkAt);
}

export async function nextWatchAt(ctx: StoreContext): Promise<number | null> {
  const row = await ctx.db.get<{ next: number | null }>(
    sql`select min(max(r.check_at, coalesce(r.claimed_until, 0))) as next from receipt_watches r`,
  );
  return row?.next == null ? null : Number(row.next);
}

/**
 * What an event about a committed version carries, read back from the change
 * log and the audit entry of its commit; null when the version is not in the log.
 */
export async function changeEventData(ctx: StoreContext, tenantId: string, env: string, version: number): Promise<EventData | null> {
  const [change] = await ctx.db
    .select({ entity: changeLog.entity, key: changeLog.key, auditSeq: changeLog.auditSeq, auditHash: changeLog.auditHash })
    .from(changeLog)
    .where(and(eq(changeLog.tenantId, tenantId), eq(changeLog.env, env), eq(changeLog.version, version)));
  if (!change) return null;
  const [entry] =
    change.auditSeq === null
      ? []
      : await ctx.db
          .select()
          .from(auditLog)
          .where(and(eq(auditLog.tenantId, tenantId), eq(auditLog.seq, change.auditSeq)));
  return {
    tenant: tenantId,
    env,
    version,
    flag: change.entity === "flag" ? change.key : null,
    entity: change.entity,
    key: change.key,
    action: entry?.action ?? "unknown",
    actor: entry ? { keyId: entry.actorKeyId, name: entry.actorName, role: entry.actorRole } : { keyId: null, name: "unknown", role: "unknown" },
    reason: entry?.reason ?? null,
    directive: entry?.directive ?? null,
    audit: change.auditSeq === null || change.auditHash === null ? null : { seq: change.auditSeq, hash: change.auditHash },
  };
}
