/**
 * Writes to the cluster tables, as raw statements for one libsql `batch` per
 * mirror tick. Rows travel as one JSON array per statement (`json_each`), not
 * as one bound parameter per column: 10,000 acked connections are one upsert,
 * about 25 ms in SQLite, where drizzle's multi-row inserts spent about 250 ms
 * building and binding 100,000 parameters on the event loop.
 */
import type { InStatement } from "@libsql/client";
import type { InstanceUpdate, VersionUpdate } from "../stream/propagation-tracker.js";

/**
 * The node's row: created if missing when `create`, else only updated (its
 * `rowsAffected` is then 0 when the row is gone).
 */
export interface NodeIdentity {
  id: string;
  startedAt: number;
  /** The change-log rowid at which the node joined (`stream_nodes.joined_through`). */
  joinedThrough: number;
}

export function heartbeat(node: NodeIdentity, now: number, reportedThrough: number, create: boolean): InStatement {
  if (!create) {
    return { sql: "UPDATE stream_nodes SET heartbeat_at = ?, reported_through = ? WHERE id = ?", args: [now, reportedThrough, node.id] };
  }
  return {
    sql: `INSERT INTO stream_nodes (id, started_at, heartbeat_at, reported_through, joined_through) VALUES (?, ?, ?, ?, ?)
          ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, reported_through = excluded.reported_through`,
    args: [node.id, node.startedAt, now, reportedThrough, node.joinedThrough],
  };
}

/**
 * Nodes taken for gone: each only if still silent since `staleAt` (it may have
 * written since it was read), then the rows of those no longer in `stream_nodes`.
 */
export function forgetGoneNodes(nodeIds: string[], staleAt: number): InStatement[] {
  if (nodeIds.length === 0) return [];
  const ids = JSON.stringify(nodeIds);
  const orphans = "node_id IN (SELECT value FROM json_each(?)) AND node_id NOT IN (SELECT id FROM stream_nodes)";
  return [
    { sql: "DELETE FROM stream_nodes WHERE id IN (SELECT value FROM json_each(?)) AND heartbeat_at <= ?", args: [ids, staleAt] },
    { sql: `DELETE FROM stream_instances WHERE ${orphans}`, args: [ids] },
    { sql: `DELETE FROM stream_receipts WHERE ${orphans}`, args: [ids] },
  ];
}

/** Nodes' connections and receipt shares, and their rows in `stream_nodes` when `andNode`. */
export function forgetNodes(nodeIds: string[], andNode: boolean): InStatement[] {
  if (nodeIds.length === 0) return [];
  const ids = JSON.stringify(nodeIds);
  const statements: InStatement[] = [
    { sql: "DELETE FROM stream_instances WHERE node_id IN (SELECT value FROM json_each(?))", args: [ids] },
    { sql: "DELETE FROM stream_receipts WHERE node_id IN (SELECT value FROM json_each(?))", args: [ids] },
  ];
  if (andNode) statements.push({ sql: "DELETE FROM stream_nodes WHERE id IN (SELECT value FROM json_each(?))", args: [ids] });
  return statements;
}

/** Upserts live connections (an ack moves `applied_version` and `last_ack_at`), deletes closed ones. */
export function writeInstances(nodeId: string, updates: InstanceUpdate[]): InStatement[] {
  const live: unknown[][] = [];
  const closed: unknown[][] = [];
  for (const u of updates) {
    if (u.live) {
      live.push([u.tenantId, u.env, u.seq, u.info.instance, u.info.app, u.info.sdk, u.connectedAt, u.firstVersion, u.appliedVersion, u.lastAckAt]);
    } else {
      closed.push([u.tenantId, u.env, u.seq]);
    }
  }
  const statements: InStatement[] = [];
  if (live.length > 0) {
    statements.push({
      // `WHERE true`: SQLite's grammar needs it between a SELECT and ON CONFLICT.
      sql: `INSERT INTO stream_instances
              (node_id, tenant_id, env, seq, instance, app, sdk, connected_at, first_version, applied_version, last_ack_at)
            SELECT ?, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5,
                   j.value ->> 6, j.value ->> 7, j.value ->> 8, j.value ->> 9
            FROM json_each(?) AS j WHERE true
            ON CONFLICT (node_id, tenant_id, env, seq)
            DO UPDATE SET applied_version = excluded.applied_version, last_ack_at = excluded.last_ack_at`,
      args: [nodeId, JSON.stringify(live)],
    });
  }
  if (closed.length > 0) {
    statements.push({
      sql: `DELETE FROM stream_instances WHERE node_id = ?
              AND (tenant_id, env, seq) IN (SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2 FROM json_each(?) AS j)`,
      args: [nodeId, JSON.stringify(closed)],
    });
  }
  return statements;
}

/** Upserts this node's receipt shares; drops its shares of versions the tracker no longer keeps. */
export function writeReceipts(nodeId: string, updates: VersionUpdate[]): InStatement[] {
  const statements: InStatement[] = updates.map((u) => ({
    sql: `INSERT INTO stream_receipts (tenant_id, env, version, node_id, committed_at, connected, latencies)
          VALUES (?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT (tenant_id, env, version, node_id) DO UPDATE SET latencies = excluded.latencies`,
    args: [u.tenantId, u.env, u.version, nodeId, u.committedAt, u.connected, bytesOf(u.latencies)],
  }));
  const oldest = new Map<string, VersionUpdate>();
  for (const u of updates) oldest.set(`${u.tenantId}/${u.env}`, u);
  for (const u of oldest.values()) {
    statements.push({
      sql: "DELETE FROM stream_receipts WHERE tenant_id = ? AND env = ? AND version < ? AND node_id = ?",
      args: [u.tenantId, u.env, u.oldestKept, nodeId],
    });
  }
  return statements;
}

function bytesOf(latencies: Float32Array): Uint8Array {
  return new Uint8Array(latencies.buffer, latencies.byteOffset, latencies.byteLength);
}
