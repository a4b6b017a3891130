/**
 * Reads of the cluster tables (`stream_nodes`, `stream_instances`,
 * `stream_receipts`): what the other Node processes share about their SDK
 * connections. The writes are in cluster-writes.ts.
 */
import { and, asc, count, desc, eq, gt, gte, lt, lte, ne, notExists, sql, type SQL } from "drizzle-orm";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import { changeLog, type Schema } from "../../core/db/schema.js";
import { streamInstances, streamNodes, streamReceipts } from "./cluster-schema.js";
import {
  instanceView,
  pendingView,
  type InstanceView,
  type PendingInstance,
  type ReceiptPart,
} from "../../core/receipts/receipt.js";

export type ClusterDb = LibSQLDatabase<Schema>;

export interface NodeRow {
  id: string;
  heartbeatAt: number;
}

export function readNodes(db: ClusterDb): Promise<NodeRow[]> {
  return db.select({ id: streamNodes.id, heartbeatAt: streamNodes.heartbeatAt }).from(streamNodes);
}

/** How many other live nodes have not yet written their share of the change at `rowid`. */
export async function countUnreported(db: ClusterDb, rowid: number, others: OtherNodes): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(streamNodes)
    .where(and(liveOther(others), lt(streamNodes.reportedThrough, rowid)));
  return row?.n ?? 0;
}

/**
 * How many other live nodes should hold a share of the version at `rowid` (they
 * joined before it and have reported it) yet hold none: their window of recent
 * versions has dropped it, so what their instances did is no longer known.
 */
export async function countDropped(
  db: ClusterDb,
  tenantId: string,
  env: string,
  version: number,
  rowid: number,
  others: OtherNodes,
): Promise<number> {
  const share = db
    .select({ one: sql`1` })
    .from(streamReceipts)
    .where(
      and(
        eq(streamReceipts.tenantId, tenantId),
        eq(streamReceipts.env, env),
        eq(streamReceipts.version, version),
        eq(streamReceipts.nodeId, streamNodes.id),
      ),
    );
  const [row] = await db
    .select({ n: count() })
    .from(streamNodes)
    .where(
      and(
        liveOther(others),
        lt(streamNodes.joinedThrough, rowid),
        gte(streamNodes.reportedThrough, rowid),
        notExists(share),
      ),
    );
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

/** Which nodes count: not this one, and heard from since `liveSince`. */
export interface OtherNodes {
  self: string;
  liveSince: number;
}

/** A row of `stream_nodes` (joined where needed) that is another node, heard from within the window. */
function liveOther(others: OtherNodes): SQL | undefined {
  return and(ne(streamNodes.id, others.self), gt(streamNodes.heartbeatAt, others.liveSince));
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
        liveOther(others),
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
            // connectedAtCommit (src/core/receipts/receipt-tracker.ts), as the node counted them
            lt(streamInstances.firstVersion, version),
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
    liveOther(others),
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
