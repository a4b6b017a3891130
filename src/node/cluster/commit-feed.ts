/**
 * Every commit to the database, in commit order, whichever process made it: what
 * a node sharing the database with others follows (commit-tail.ts). Node only:
 * a Durable Object is the only writer of its database.
 *
 * The position in the feed is a pair of rowids, one in `change_log` and one in
 * `audit_log`. Both tables are append-only rowid tables without an INTEGER
 * PRIMARY KEY, so SQLite gives each new row max(rowid) + 1; writers take turns
 * on one write lock (a WAL file, or a libsql server), so rowids ascend in commit
 * order, and a reader that sees a row has seen every row committed before it.
 * The feed therefore needs no column of its own and no clock.
 */
import { and, asc, eq, gt, inArray, lte, sql } from "drizzle-orm";
import type { CommittedChange, EnvReset } from "../../core/broadcaster.js";
import type { StoreDb } from "../../core/db/executor.js";
import { apiKeys, auditLog, changeLog } from "../../core/db/schema.js";
import { changeOfLogRow } from "../../core/store/change-log.js";

/** A position in the feed: the last rowid read from each table. */
export interface FeedCursor {
  change: number;
  audit: number;
}

/** A key created or revoked: caches of its (tenant, prefix) must read again, and a revoked key's sockets close. */
export interface KeyEvent {
  tenantId: string;
  keyId: string;
  action: "create" | "revoke";
  /** The key's lookup prefix; null if the row is gone. */
  prefix: string | null;
}

/**
 * An environment's signing keys or epoch changed (`cause`), or it got its first key
 * (`cause` null: nothing signed for it could be held): caches of its signing state must
 * read again, and its sockets be told.
 */
export interface EnvEvent {
  tenantId: string;
  env: string;
  cause: EnvReset | null;
  /** The audit entry of the change. */
  seq: number;
}

const ENV_EVENTS: Record<string, EnvReset | null> = {
  "signing-key.create": null,
  "signing-key.rotate": "key",
  "environment.epoch": "epoch",
};

export interface FeedBatch {
  /** Oldest first; per environment, versions ascend. */
  changes: CommittedChange[];
  keys: KeyEvent[];
  /** Signing keys and epochs that changed, oldest first. */
  envs: EnvEvent[];
  cursor: FeedCursor;
  /** True when the batch was cut at `limit`: read again at once. */
  more: boolean;
}

/** The end of the feed now: a follower starts here. */
export async function feedHead(db: StoreDb): Promise<FeedCursor> {
  const row = await db.get<{ change: number | null; audit: number | null }>(
    sql`select (select max(rowid) from ${changeLog}) as change, (select max(rowid) from ${auditLog}) as audit`,
  );
  return { change: Number(row?.change ?? 0), audit: Number(row?.audit ?? 0) };
}

/**
 * The commits after `cursor`: at most `limit` changes and `limit` key events.
 * One cheap read when nothing was committed. A head below the cursor (the file
 * was replaced, or VACUUM renumbered the rows) restarts the cursor there.
 */
export async function commitsAfter(db: StoreDb, cursor: FeedCursor, limit = 500): Promise<FeedBatch> {
  const head = await feedHead(db);
  const from = { change: Math.min(cursor.change, head.change), audit: Math.min(cursor.audit, head.audit) };
  const next = { ...head };
  let more = false;
  const changes: CommittedChange[] = [];
  const keys: KeyEvent[] = [];
  const envs: EnvEvent[] = [];

  if (head.change > from.change) {
    const rows = await db
      .select({
        rowid: sql<number>`${changeLog}.rowid`,
        tenantId: changeLog.tenantId,
        env: changeLog.env,
        version: changeLog.version,
        entity: changeLog.entity,
        key: changeLog.key,
        payload: changeLog.payload,
        committedAt: changeLog.committedAt,
        auditSeq: changeLog.auditSeq,
        auditHash: changeLog.auditHash,
      })
      .from(changeLog)
      .where(and(gt(sql`${changeLog}.rowid`, from.change), lte(sql`${changeLog}.rowid`, head.change)))
      .orderBy(asc(sql`${changeLog}.rowid`))
      .limit(limit);
    for (const row of rows) {
      changes.push(changeOfLogRow(row.tenantId, row));
    }
    if (rows.length === limit) {
      next.change = rows[rows.length - 1]!.rowid;
      more = true;
    }
  }

  if (head.audit > from.audit) {
    const rows = await db
      .select({
        rowid: sql<number>`${auditLog}.rowid`,
        tenantId: auditLog.tenantId,
        seq: auditLog.seq,
        entity: auditLog.entity,
        action: auditLog.action,
        keyId: auditLog.entityKey,
        prefix: apiKeys.prefix,
      })
      .from(auditLog)
      .leftJoin(apiKeys, and(eq(apiKeys.tenantId, auditLog.tenantId), eq(apiKeys.id, auditLog.entityKey)))
      .where(
        and(
          gt(sql`${auditLog}.rowid`, from.audit),
          lte(sql`${auditLog}.rowid`, head.audit),
          inArray(auditLog.entity, ["key", "environment"]),
        ),
      )
      .orderBy(asc(sql`${auditLog}.rowid`))
      .limit(limit);
    for (const row of rows) {
      if (row.entity === "environment") {
        const cause = ENV_EVENTS[row.action];
        // An environment's key is the audit entry's key.
        if (cause !== undefined) envs.push({ tenantId: row.tenantId, env: row.keyId, cause, seq: row.seq });
        continue;
      }
      if (row.action !== "key.create" && row.action !== "key.revoke") continue;
      keys.push({
        tenantId: row.tenantId,
        keyId: row.keyId,
        action: row.action === "key.create" ? "create" : "revoke",
        prefix: row.prefix,
      });
    }
    if (rows.length === limit) {
      next.audit = rows[rows.length - 1]!.rowid;
      more = true;
    }
  }

  return { changes, keys, envs, cursor: next, more };
}
