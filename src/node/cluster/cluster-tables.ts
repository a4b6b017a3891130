/**
 * Reads and writes of the cluster tables (`stream_nodes`, `stream_instances`,
 * `stream_receipts`): what each Node process shares with the others about its
 * SDK connections. Writes are returned as statements, so that one tick of a
 * node commits all of them in one batch.
 */
import { and, asc, count, desc, eq, gt, inArray, lt, lte, ne, sql } from "drizzle-orm";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import type { Statement } from "../../core/db/executor.js";
import { changeLog, streamInstances, streamNodes, streamReceipts, type Schema } from "../../core/db/schema.js";
import {
  instanceView,
  pendingView,
  type InstanceUpdate,
  type InstanceView,
  type PendingInstance,
  type ReceiptPart,
  type VersionUpdate,
} from "../../core/propagation.js";

export type ClusterDb = LibSQLDatabase<Schema>;

/** Rows per multi-row insert: 10 columns × 400 stays far below SQLite's 32,766 variables. */
const ROWS_PER_INSERT = 400;

export interface NodeRow {
  id: string;
  heartbeatAt: number;
}

export function readNodes(db: ClusterDb): Promise<NodeRow[]> {
  return db.select({ id: streamNodes.id, heartbeatAt: streamNodes.heartbeatAt }).from(streamNodes);
}

export function heartbeat(db: ClusterDb, nodeId: string, startedAt: number, now: number, reportedThrough: number): Statement {
  return db
    .insert(streamNodes)
    .values({ id: nodeId, startedAt, heartbeatAt: now, reportedThrough })
    .onConflictDoUpdate({ target: streamNodes.id, set: { heartbeatAt: now, reportedThrough } });
}

/** How many other live nodes have not yet written their share of the change at `rowid`. */
export async function countUnreported(db: ClusterDb, rowid: number, others: OtherNodes): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(streamNodes)
    .where(and(ne(streamNodes.id, others.self), gt(streamNodes.heartbeatAt, others.liveSince), lt(streamNodes.reportedThrough, rowid)));
  return row?.n ?? 0;
}

/** The change-log rowid of one version (its place in the commit feed), if the log holds it. */
export async function changeRowid(db: ClusterDb, tenantId: string, env: string, version: number): Promise<number | undefined> {
  const [row] = await db
    .select({ rowid: sql<number>`${changeLog}.rowid` })
    .from(changeLog)
    .where(and(eq(changeLog.tenantId, tenantId), eq(changeLog.env, env), eq(changeLog.version, version)));
  return row?.rowid;
}

/** An environment's version as of a feed position (change-log rowid): 0 if it had none. */
export async function versionAt(db: ClusterDb, tenantId: string, env: string, rowid: number): Promise<number> {
  // Newest first along the primary key, stopping at the first row old enough.
  const [row] = await db
    .select({ version: changeLog.version })
    .from(changeLog)
    .where(and(eq(changeLog.tenantId, tenantId), eq(changeLog.env, env), lte(sql`${changeLog}.rowid`, rowid)))
    .orderBy(desc(changeLog.version))
    .limit(1);
  return row?.version ?? 0;
}

/** A node's connections and receipt shares, and its row when `andNode`. */
export function forgetNodes(db: ClusterDb, nodeIds: string[], andNode: boolean): Statement[] {
  if (nodeIds.length === 0) return [];
  const statements: Statement[] = [
    db.delete(streamInstances).where(inArray(streamInstances.nodeId, nodeIds)),
    db.delete(streamReceipts).where(inArray(streamReceipts.nodeId, nodeIds)),
  ];
  if (andNode) statements.push(db.delete(streamNodes).where(inArray(streamNodes.id, nodeIds)));
  return statements;
}

/** Upserts live connections, deletes closed ones. */
export function writeInstances(db: ClusterDb, nodeId: string, updates: InstanceUpdate[]): Statement[] {
  const statements: Statement[] = [];
  const live = updates.filter((u) => u.live);
  for (let i = 0; i < live.length; i += ROWS_PER_INSERT) {
    const rows = live.slice(i, i + ROWS_PER_INSERT).map((u) => ({
      nodeId,
      tenantId: u.tenantId,
      env: u.env,
      seq: u.seq,
      instance: u.info.instance,
      app: u.info.app,
      sdk: u.info.sdk,
      connectedAt: u.connectedAt,
      appliedVersion: u.appliedVersion,
      lastAckAt: u.lastAckAt,
    }));
    statements.push(
      db
        .insert(streamInstances)
        .values(rows)
        .onConflictDoUpdate({
          target: [streamInstances.nodeId, streamInstances.tenantId, streamInstances.env, streamInstances.seq],
          set: { appliedVersion: sql`excluded.applied_version`, lastAckAt: sql`excluded.last_ack_at` },
        }),
    );
  }
  for (const u of updates) {
    if (u.live) continue;
    statements.push(
      db
        .delete(streamInstances)
        .where(
          and(
            eq(streamInstances.nodeId, nodeId),
            eq(streamInstances.tenantId, u.tenantId),
            eq(streamInstances.env, u.env),
            eq(streamInstances.seq, u.seq),
          ),
        ),
    );
  }
  return statements;
}

/** Upserts this node's receipt shares; drops its shares of versions the tracker no longer keeps. */
export function writeReceipts(db: ClusterDb, nodeId: string, updates: VersionUpdate[]): Statement[] {
  const statements: Statement[] = [];
  for (let i = 0; i < updates.length; i += ROWS_PER_INSERT) {
    const rows = updates.slice(i, i + ROWS_PER_INSERT).map((u) => ({
      tenantId: u.tenantId,
      env: u.env,
      version: u.version,
      nodeId,
      committedAt: u.committedAt,
      seqMark: u.seqMark,
      connected: u.connected,
      latencies: Buffer.from(u.latencies.buffer, u.latencies.byteOffset, u.latencies.byteLength),
    }));
    statements.push(
      db
        .insert(streamReceipts)
        .values(rows)
        .onConflictDoUpdate({
          target: [streamReceipts.tenantId, streamReceipts.env, streamReceipts.version, streamReceipts.nodeId],
          set: { latencies: sql`excluded.latencies` },
        }),
    );
  }
  const oldest = new Map<string, VersionUpdate>();
  for (const u of updates) oldest.set(`${u.tenantId}/${u.env}`, u);
  for (const u of oldest.values()) {
    statements.push(
      db
        .delete(streamReceipts)
        .where(
          and(
            eq(streamReceipts.tenantId, u.tenantId),
            eq(streamReceipts.env, u.env),
            lt(streamReceipts.version, u.oldestKept),
            eq(streamReceipts.nodeId, nodeId),
          ),
        ),
    );
  }
  return statements;
}

/** Which nodes count: not this one, and heard from since `liveSince`. */
export interface OtherNodes {
  self: string;
  liveSince: number;
}

/** The other live nodes' shares of one version, with their pending instances. */
export async function readReceiptParts(
  db: ClusterDb,
  tenantId: string,
  env: string,
  version: number,
  others: OtherNodes,
): Promise<ReceiptPart[]> {
  const shares = await db
    .select({
      nodeId: streamReceipts.nodeId,
      committedAt: streamReceipts.committedAt,
      seqMark: streamReceipts.seqMark,
      connected: streamReceipts.connected,
      latencies: streamReceipts.latencies,
    })
    .from(streamReceipts)
    .innerJoin(streamNodes, eq(streamNodes.id, streamReceipts.nodeId))
    .where(
      and(
        eq(streamReceipts.tenantId, tenantId),
        eq(streamReceipts.env, env),
        eq(streamReceipts.version, version),
        ne(streamReceipts.nodeId, others.self),
        gt(streamNodes.heartbeatAt, others.liveSince),
      ),
    );
  const parts: ReceiptPart[] = [];
  for (const share of shares) {
    const pending: PendingInstance[] = [];
    if (share.connected > 0) {
      const rows = await db
        .select({ instance: streamInstances.instance, app: streamInstances.app, appliedVersion: streamInstances.appliedVersion })
        .from(streamInstances)
        .where(
          and(
            eq(streamInstances.nodeId, share.nodeId),
            eq(streamInstances.tenantId, tenantId),
            eq(streamInstances.env, env),
            lte(streamInstances.seq, share.seqMark),
            lt(streamInstances.appliedVersion, version),
          ),
        )
        .orderBy(asc(streamInstances.seq));
      for (const r of rows) pending.push(pendingView(r));
    }
    parts.push({ version, committedAt: share.committedAt, connected: share.connected, latencies: float32Of(share.latencies), pending });
  }
  return parts;
}

/** The other live nodes' connections of one environment, in connection order, and how many there are. */
export async function readInstances(
  db: ClusterDb,
  tenantId: string,
  env: string,
  limit: number | undefined,
  others: OtherNodes,
): Promise<{ items: InstanceView[]; total: number }> {
  const where = and(
    eq(streamInstances.tenantId, tenantId),
    eq(streamInstances.env, env),
    ne(streamInstances.nodeId, others.self),
    gt(streamNodes.heartbeatAt, others.liveSince),
  );
  const [counted] = await db
    .select({ n: count() })
    .from(streamInstances)
    .innerJoin(streamNodes, eq(streamNodes.id, streamInstances.nodeId))
    .where(where);
  const query = db
    .select({
      instance: streamInstances.instance,
      app: streamInstances.app,
      sdk: streamInstances.sdk,
      connectedAt: streamInstances.connectedAt,
      appliedVersion: streamInstances.appliedVersion,
      lastAckAt: streamInstances.lastAckAt,
    })
    .from(streamInstances)
    .innerJoin(streamNodes, eq(streamNodes.id, streamInstances.nodeId))
    .where(where)
    .orderBy(asc(streamInstances.connectedAt), asc(streamInstances.nodeId), asc(streamInstances.seq));
  const rows = limit === undefined ? await query : await query.limit(limit);
  return {
    total: counted?.n ?? 0,
    items: rows.map(instanceView),
  };
}

/** A blob of float32s, copied so that the view is aligned whatever the driver's buffer offset. */
function float32Of(bytes: Uint8Array): Float32Array {
  const copy = new Uint8Array(bytes.byteLength - (bytes.byteLength % 4));
  copy.set(bytes.subarray(0, copy.byteLength));
  return new Float32Array(copy.buffer);
}
