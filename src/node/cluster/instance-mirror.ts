/**
 * One node's SDK connections and receipt shares, mirrored to the shared
 * database so that every node's receipts and instance lists count them.
 *
 * Every tick (250 ms) the node reads the node table. While it is the only live
 * node it writes nothing but its heartbeat (once a second): a lone process pays
 * no write per ack. Once another node is live, each tick writes what changed
 * since the last one (connections opened, acked or closed; versions committed or
 * acked) in one batch, and the first such tick rewrites the whole state. The
 * same batch records how far along the commit feed those rows are complete
 * (`reported_through`), so that a receipt read on another node knows whether
 * this node's share of a version is in yet. A node silent for `goneAfterMs`
 * counts as gone; any node that sees one deletes its rows. A tick that meets a
 * busy database carries its changes to the next; one whose write failed
 * otherwise rewrites everything on the next. A full, read-only or missing
 * database is reported to the database's health (which logs it once), not as an
 * error per tick.
 */
import type { Client, InStatement, ResultSet } from "@libsql/client";
import { databaseFault, isBusyError } from "../../core/db/retryable.js";
import type { PropagationTracker } from "../stream/propagation-tracker.js";
import type { DatabaseHealth } from "../database-health.js";
import { readNodes, type ClusterDb, type OtherNodes } from "./cluster-tables.js";
import { forgetGoneNodes, forgetNodes, heartbeat, writeInstances, writeReceipts } from "./cluster-writes.js";

/** Statements carried over busy ticks before the mirror gives up on them and rewrites its whole state. */
const MAX_CARRY = 64;

export interface InstanceMirrorOptions {
  /** Reads. */
  db: ClusterDb;
  /**
   * Writes: one raw batch per tick (cluster-writes.ts). Best a connection of its own
   * that does not wait for locks (a busy tick is retried at the next one).
   */
  client: Client;
  nodeId: string;
  /** Must record updates (`recordUpdates: true`). */
  tracker: PropagationTracker;
  /**
   * The commit-feed position (change-log rowid) through which the tracker has
   * seen every change: what this node's rows cover once written.
   */
  seenThrough: () => number;
  /** The commit-feed position at which this node joined: it tracked every version after it. Default 0. */
  joinedThrough?: number;
  /** Default 250 ms. */
  flushMs?: number;
  /** Default 1 s. */
  heartbeatMs?: number;
  /** Default 30 s: a node silent this long counts as gone (docs/storage.md, "Several Node processes"). */
  goneAfterMs?: number;
  now?: () => number;
  /**
   * Told of a write that failed on a full, read-only or unopenable database
   * (the store's writes and readiness tell it when that is over); while it says
   * the file is gone, nothing is written.
   */
  health?: Pick<DatabaseHealth, "gone" | "noteWrite">;
  onError?: (error: unknown) => void;
}

export class InstanceMirror {
  readonly #o: Required<Omit<InstanceMirrorOptions, "onError" | "health">> & Pick<InstanceMirrorOptions, "health"> & { onError: (error: unknown) => void };
  readonly #startedAt: number;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> = Promise.resolve();
  #closed = false;
  #lastBeat = -Infinity;
  /** Other live nodes as of the last tick. */
  #peers = 0;
  /** The database may not hold this node's whole state: rewrite it on the next shared tick. */
  #rewrite = true;
  /** `reported_through` as last written. */
  #reported = -1;
  /** The changes of a tick that met a busy database, for the next one. */
  #carry: InStatement[] = [];

  constructor(options: InstanceMirrorOptions) {
    this.#o = {
      ...options,
      joinedThrough: options.joinedThrough ?? 0,
      flushMs: options.flushMs ?? 250,
      heartbeatMs: options.heartbeatMs ?? 1000,
      goneAfterMs: options.goneAfterMs ?? 30_000,
      now: options.now ?? Date.now,
      onError: options.onError ?? (() => {}),
    };
    this.#startedAt = this.#o.now();
  }

  /** Registers the node and learns its peers (the first tick, now), then ticks every `flushMs`. */
  start(): Promise<void> {
    this.#schedule();
    return this.tick();
  }

  /** True when another live node was seen at the last tick: this node's rows are being written. */
  get shared(): boolean {
    return this.#peers > 0;
  }

  /** The commit-feed position through which this node's tracker has seen every change. */
  seenThrough(): number {
    return this.#o.seenThrough();
  }

  /** The commit-feed position at which this node joined. */
  get joinedThrough(): number {
    return this.#o.joinedThrough;
  }

  /** Which rows belong to other live nodes. */
  others(): OtherNodes {
    return { self: this.#o.nodeId, liveSince: this.#o.now() - this.#o.goneAfterMs };
  }

  /** One round: read the nodes, write what changed. Ticks never overlap. */
  tick(): Promise<void> {
    this.#tick = this.#tick.then(() => this.#round()).catch((error: unknown) => this.#o.onError(error));
    return this.#tick;
  }

  /** Stops ticking and removes this node's rows, so that others stop counting it at once. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#tick;
    if (this.#o.health?.gone) return;
    await this.#commit(forgetNodes([this.#o.nodeId], true)).catch(this.#o.onError);
  }

  async #round(): Promise<void> {
    if (this.#closed || this.#o.health?.gone) return;
    const { db, nodeId, tracker, goneAfterMs } = this.#o;
    const now = this.#o.now();
    const nodes = await readNodes(db);
    const gone = nodes.filter((n) => n.id !== nodeId && n.heartbeatAt <= now - goneAfterMs).map((n) => n.id);
    this.#peers = nodes.length - gone.length - (nodes.some((n) => n.id === nodeId) ? 1 : 0);
    if (!nodes.some((n) => n.id === nodeId)) this.#rewrite = true; // new, or declared gone by a peer after a long pause

    // A busy tick's changes go first: upserts and deletes by key, so replaying them before newer ones is exact.
    const statements: InStatement[] = [...this.#carry, ...forgetGoneNodes(gone, now - goneAfterMs)];
    this.#carry = [];
    // Diffs only make sense on top of rows the database still holds; see the heartbeat below.
    const diffsOnly = this.shared && !this.#rewrite;
    if (this.shared && this.#rewrite) {
      statements.push(...forgetNodes([nodeId], false));
      tracker.markAllChanged();
    }
    const seen = this.#o.seenThrough(); // before the drain: whatever it covers is in the drain
    if (this.shared) {
      statements.push(
        ...writeInstances(nodeId, tracker.drainUpdates()),
        ...writeReceipts(nodeId, tracker.drainVersionUpdates()),
      );
    } else {
      tracker.discardUpdates();
      this.#rewrite = true; // nothing written while alone: a peer that arrives needs everything
    }
    const reported = this.shared ? seen : -1;
    if (statements.length === 0 && reported === this.#reported && now - this.#lastBeat < this.#o.heartbeatMs) return;
    // With diffs only, the node's row must still exist: a peer that took this node for
    // gone (a pause over goneAfterMs) after this round read the node table has deleted
    // its rows. Then the update touches nothing, the diffs land on no row any reader
    // joins, and the next round rewrites everything.
    statements.push(heartbeat({ id: nodeId, startedAt: this.#startedAt, joinedThrough: this.#o.joinedThrough }, now, reported, !diffsOnly));
    let results: ResultSet[];
    try {
      results = await this.#o.client.batch(statements, "write");
    } catch (error) {
      if (!isBusyError(error)) {
        this.#rewrite = true;
        if (databaseFault(error) === null || this.#o.health === undefined) throw error;
        this.#o.health.noteWrite(error);
        return;
      }
      // Another process holds the write lock: try again next tick, without waiting now.
      if (diffsOnly && statements.length <= MAX_CARRY) this.#carry = statements.slice(0, -1);
      else this.#rewrite = true;
      return;
    }
    if (diffsOnly && results[results.length - 1]!.rowsAffected === 0) {
      this.#rewrite = true;
      return;
    }
    this.#lastBeat = now;
    this.#reported = reported;
    if (this.shared) this.#rewrite = false;
  }

  /** Writes at once, or (the connection does not wait for locks) retries a busy database for up to 2 s. */
  async #commit(statements: InStatement[]): Promise<void> {
    for (let waited = 0; ; waited += 20) {
      try {
        await this.#o.client.batch(statements, "write");
        return;
      } catch (error) {
        if (!isBusyError(error) || waited >= 2_000) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.tick().finally(() => this.#schedule());
    }, this.#o.flushMs);
    this.#timer.unref();
  }
}
