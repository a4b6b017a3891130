/**
 * Cluster nodes without sockets: each is a database client of one shared file,
 * a recording tracker, an instance mirror on an injected clock and a cluster
 * propagation source, as `joinCluster` wires them. Tests drive the tracker as
 * the stream hub would (connect, commit, ack) and tick mirrors by hand.
 */
import type { Client } from "@libsql/client";
import { PropagationTracker, type InstanceHandle } from "../../../src/node/stream/propagation-tracker.js";
import type { PropagationSource } from "../../../src/http/routes/propagation.js";
import { clusterPropagation } from "../../../src/node/cluster/cluster-propagation.js";
import { InstanceMirror } from "../../../src/node/cluster/instance-mirror.js";
import { openDatabase, type Database } from "../../../src/node/database.js";
import { expect } from "vitest";
import { openTempStore, type TempStore } from "../../support/temp-db.js";

export const GONE_AFTER_MS = 30_000;

/** One clock for every node: tests move it. */
export const clock = { now: 1_700_000_000_000 };

export interface TestNode {
  id: string;
  database: Database;
  tracker: PropagationTracker;
  mirror: InstanceMirror;
  propagation: PropagationSource;
  /** What the node's commit tail has handed over (its `seenThrough`). */
  seen: { through: number };
  errors: unknown[];
  /** What the mirror writes through: a plain object over the node's writer, whose `batch` a test may replace. */
  mirrorClient: Client;
  connect(tenantId: string, env: string, instance: string): InstanceHandle;
}

export async function startNode(url: string, id: string, options: { maxVersions?: number; joinedThrough?: number } = {}): Promise<TestNode> {
  const database = await openDatabase(url);
  const now = () => clock.now;
  const tracker = new PropagationTracker({ recordUpdates: true, now, maxVersions: options.maxVersions });
  const seen = { through: 0 };
  const errors: unknown[] = [];
  const mirrorClient = { batch: (...args: Parameters<Client["batch"]>) => database.client.batch(...args) } as Client;
  const mirror = new InstanceMirror({
    db: database.db,
    client: mirrorClient,
    nodeId: id,
    tracker,
    seenThrough: () => seen.through,
    joinedThrough: options.joinedThrough,
    // Timers never fire in a test: ticks are called by hand.
    flushMs: 3_600_000,
    heartbeatMs: 1000,
    goneAfterMs: GONE_AFTER_MS,
    now,
    onError: (error) => errors.push(error),
  });
  return {
    id,
    database,
    tracker,
    mirror,
    propagation: clusterPropagation(database.db, tracker, mirror),
    seen,
    errors,
    mirrorClient,
    connect: (tenantId, env, instance) => tracker.connect(tenantId, env, { instance, app: `app-${id}`, sdk: "test/1" }),
  };
}

/** The rows of the cluster tables, for assertions. */
export async function clusterRows(database: Database) {
  const rows = async (sql: string) => (await database.client.execute(sql)).rows.map((r) => ({ ...r }));
  return {
    nodes: await rows("SELECT id, heartbeat_at, reported_through FROM stream_nodes ORDER BY id"),
    instances: await rows("SELECT node_id, instance, applied_version FROM stream_instances ORDER BY node_id, seq"),
    receipts: await rows("SELECT node_id, env, version, connected FROM stream_receipts ORDER BY node_id, env, version"),
  };
}

/** The change-log rowid of a version: the feed position a node's rows must reach. */
export async function changeRowidOf(database: Database, tenantId: string, env: string, version: number): Promise<number> {
  const result = await database.client.execute({
    sql: "SELECT rowid FROM change_log WHERE tenant_id = ? AND env = ? AND version = ?",
    args: [tenantId, env, version],
  });
  return Number(result.rows[0]![0]);
}

export async function committedAtOf(database: Database, tenantId: string, env: string, version: number): Promise<number> {
  const result = await database.client.execute({
    sql: "SELECT committed_at FROM change_log WHERE tenant_id = ? AND env = ? AND version = ?",
    args: [tenantId, env, version],
  });
  return Number(result.rows[0]![0]);
}

export interface TwoNodes {
  t: TempStore;
  tenantId: string;
  a: TestNode;
  b: TestNode;
}

/** A database file with one tenant and two nodes on it, not ticked yet. */
export async function startTwoNodes(): Promise<TwoNodes> {
  const t = await openTempStore();
  const tenantId = (await t.store.createTenant({ name: "acme" })).tenant.id;
  return { t, tenantId, a: await startNode(`file:${t.file}`, "n_a"), b: await startNode(`file:${t.file}`, "n_b") };
}

/** Closes the nodes (which must have reported no error, when `clean`) and the store. */
export async function stopNodes(nodes: TestNode[], t: TempStore, clean = true): Promise<void> {
  for (const node of nodes) {
    await node.mirror.close();
    node.database.close();
    if (clean) expect(node.errors).toEqual([]);
  }
  t.close();
}
