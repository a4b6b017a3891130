/**
 * Several Node processes on one database (an SQLite file in WAL mode on one
 * machine, a libsql server across machines), each serving its own sockets:
 *
 * - writes need nothing more: the write path's audit seq and change-log keys
 *   make concurrent writers of a tenant take turns (src/core/store/mutation.ts);
 * - reads of other processes' commits come from the commit tail, which publishes
 *   them to this process's sockets and updates its key and version caches;
 * - receipts and instance lists count every node through the instance mirror.
 *
 * Nothing to configure: a process joins when it opens a file or a server
 * database, and is alone until a second one starts.
 */
import { randomBytes } from "node:crypto";
import type { Client } from "@libsql/client";
import type { DatabaseHealth } from "../database-health.js";
import { openWriter } from "../libsql-client.js";
import type { PropagationTracker } from "../stream/propagation-tracker.js";
import { SequencedBroadcaster } from "./sequenced-broadcaster.js";
import type { Store } from "../../core/store/index.js";
import type { PropagationSource } from "../../http/routes/propagation.js";
import { clusterPropagation } from "./cluster-propagation.js";
import { versionAt, type ClusterDb } from "./cluster-tables.js";
import { CommitTail } from "./commit-tail.js";
import { InstanceMirror } from "./instance-mirror.js";

export interface ClusterOptions {
  /** How often the commit feed is read. Default 100 ms. */
  tailIntervalMs?: number;
  /** How often connections and receipts are written, once another node is live. Default 250 ms. */
  flushMs?: number;
  /** Default 1 s. */
  heartbeatMs?: number;
  /** A node silent this long counts as gone, with its connections. Default 30 s. */
  goneAfterMs?: number;
}

export interface Cluster {
  /** This process's id in `stream_nodes`. */
  readonly nodeId: string;
  /**
   * What the store publishes to, and the tail too: each environment's changes
   * reach `broadcaster.target` (the socket layer) once each, in version order.
   */
  readonly broadcaster: SequencedBroadcaster;
  /**
   * Mirrors a tracker (made with `recordUpdates: true`) to the database; the
   * receipts and instances it returns count every node. The first tick, which
   * registers this node, starts now; `close` waits for it.
   */
  share(tracker: PropagationTracker): PropagationSource;
  /**
   * Settles once the shared tracker's first tick has run (this node registered and
   * its peers known), so that no socket is accepted before the others can count it.
   */
  ready(): Promise<void>;
  /** Reads the commit feed now (tests; the tail also reads it on its own). */
  poll(): Promise<void>;
  close(): Promise<void>;
}

export interface ClusterDeps {
  db: ClusterDb;
  /**
   * The database's libsql URL: the mirror writes through a connection of its own
   * (see `mirrorClient`).
   */
  url: string;
  store: Store;
  /** The mirror's failed writes report to it, and stop while the database file is gone. */
  health?: Pick<DatabaseHealth, "gone" | "noteWrite">;
  onError: (error: unknown) => void;
}

export async function joinCluster(deps: ClusterDeps, options: ClusterOptions = {}): Promise<Cluster> {
  const nodeId = `n_${randomBytes(8).toString("hex")}`;
  let joinedAt = 0;
  const broadcaster = new SequencedBroadcaster(deps.store, deps.onError, {
    // Before its first change seen here, an environment is where it was at the join:
    // a change of this process's own that overtakes one read from the feed waits for it.
    startVersion: (tenantId, env) => versionAt(deps.db, tenantId, env, joinedAt),
  });
  const tail = new CommitTail({ db: deps.db, store: deps.store, broadcaster, intervalMs: options.tailIntervalMs, onError: deps.onError });
  await tail.start();
  joinedAt = tail.changeCursor;
  let mirror: InstanceMirror | undefined;
  let started: Promise<void> = Promise.resolve();
  const writer = mirrorClient(deps.url);
  let seen = tail.changeCursor;

  return {
    nodeId,
    broadcaster,
    share(tracker) {
      if (mirror) throw new Error("a cluster node shares one tracker");
      mirror = new InstanceMirror({
        db: deps.db,
        client: writer,
        nodeId,
        tracker,
        // Held changes have not reached the tracker yet: until they have, report no further.
        seenThrough: () => (broadcaster.idle ? (seen = tail.changeCursor) : seen),
        joinedThrough: joinedAt,
        flushMs: options.flushMs,
        heartbeatMs: options.heartbeatMs,
        goneAfterMs: options.goneAfterMs,
        health: deps.health,
        onError: deps.onError,
      });
      started = mirror.start(); // a failed tick is reported by the mirror itself, and retried
      return clusterPropagation(deps.db, tracker, mirror);
    },
    ready: () => started,
    poll: () => tail.poll(),
    async close() {
      await tail.close();
      await mirror?.close();
      writer.close();
    },
  };
}

/**
 * The mirror's own connection, which never waits for a lock (libsql-client.ts):
 * a tick that meets another process's lock carries its changes to the next one.
 */
function mirrorClient(url: string): Client {
  return openWriter(url);
}
