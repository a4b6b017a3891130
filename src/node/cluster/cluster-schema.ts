/**
 * The Node host's own tables: several processes on one database share their SDK
 * connections here so that receipts and instance lists count every node
 * (cluster.ts). A Durable Object has one writer and never creates them: their
 * migrations are left out of its list (src/worker/migrations.ts).
 * drizzle-kit reads this file beside the core's schema (drizzle.config.ts).
 */
import { blob, index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** One running Node process; silent for 30 s, it counts as gone with its rows. */
export const streamNodes = sqliteTable("stream_nodes", {
  id: text("id").primaryKey(),
  startedAt: integer("started_at").notNull(),
  heartbeatAt: integer("heartbeat_at").notNull(),
  /**
   * The node's rows below hold its share of every version up to this change-log
   * rowid; -1 while it writes none (alone). A receipt is complete only when
   * every live node has reported the version.
   */
  reportedThrough: integer("reported_through").notNull(),
  /**
   * The change-log rowid at which the node joined: it holds a share of every
   * version between this and `reported_through`, unless its window of recent
   * versions has dropped it.
   */
  joinedThrough: integer("joined_through").notNull(),
});

/**
 * One SDK connection of a node; `seq` is the node's connection number.
 * `first_version`: the version it is counted from (`connectedAtCommit`,
 * src/core/receipts/receipt-tracker.ts): it was connected at every later commit.
 */
export const streamInstances = sqliteTable(
  "stream_instances",
  {
    nodeId: text("node_id").notNull(),
    tenantId: text("tenant_id").notNull(),
    env: text("env").notNull(),
    seq: integer("seq").notNull(),
    instance: text("instance").notNull(),
    app: text("app").notNull(),
    sdk: text("sdk").notNull(),
    connectedAt: integer("connected_at").notNull(),
    /** -1 in rows written before the column existed: connected at every commit. */
    firstVersion: integer("first_version").notNull().default(-1),
    /** -1 before the first ack. */
    appliedVersion: integer("applied_version").notNull(),
    /** 0 before the first ack. */
    lastAckAt: integer("last_ack_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.nodeId, t.tenantId, t.env, t.seq] }),
    index("stream_instances_env").on(t.tenantId, t.env, t.connectedAt),
  ],
);

/**
 * One node's share of one version's receipt: how many of its instances were
 * connected at commit time (its rows in `stream_instances` with a lower
 * `first_version`) and the ack latencies so far, as float32 milliseconds.
 */
export const streamReceipts = sqliteTable(
  "stream_receipts",
  {
    tenantId: text("tenant_id").notNull(),
    env: text("env").notNull(),
    version: integer("version").notNull(),
    nodeId: text("node_id").notNull(),
    committedAt: integer("committed_at").notNull(),
    connected: integer("connected").notNull(),
    latencies: blob("latencies", { mode: "buffer" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.env, t.version, t.nodeId] })],
);
