/**
 * Follows the commit feed of a shared database: every few milliseconds, reads
 * the commits made since the last read, by any process, and
 *
 * - raises the store's cached version of each environment that moved, so that
 *   evaluation (OFREP, explain) serves the new rules;
 * - publishes each change (to a SequencedBroadcaster, which drops this
 *   process's own and keeps versions in order) so that local sockets get it;
 * - drops cached keys that were created or revoked, and closes the sockets of a
 *   revoked key;
 * - drops the signing state of an environment whose keys or epoch changed, and
 *   tells its sockets (a new key's announcement, or a new epoch's snapshot).
 *
 * An idle poll is one indexed read. A failed poll is reported and retried at
 * the next one; the position only moves past what was handled.
 */
import type { Broadcaster } from "../../core/broadcaster.js";
import type { StoreDb } from "../../core/db/executor.js";
import type { Store } from "../../core/store/index.js";
import { commitsAfter, feedHead, type FeedBatch, type FeedCursor } from "./commit-feed.js";

export interface CommitTailOptions {
  /** The shared database, whose commit feed is read. */
  db: StoreDb;
  /** This process's store, whose caches the tail updates. */
  store: Store;
  broadcaster: Broadcaster;
  /** Default 100 ms: the added delay for a change made on another node is at most this, plus one read. */
  intervalMs?: number;
  onError?: (error: unknown) => void;
}

export class CommitTail {
  readonly #db: StoreDb;
  readonly #store: Store;
  readonly #broadcaster: Broadcaster;
  readonly #intervalMs: number;
  readonly #onError: (error: unknown) => void;
  #cursor: FeedCursor = { change: 0, audit: 0 };
  #timer: NodeJS.Timeout | undefined;
  #poll: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: CommitTailOptions) {
    this.#db = options.db;
    this.#store = options.store;
    this.#broadcaster = options.broadcaster;
    this.#intervalMs = options.intervalMs ?? 100;
    this.#onError = options.onError ?? (() => {});
  }

  /** The change-log rowid through which every change has been handed to the broadcaster. */
  get changeCursor(): number {
    return this.#cursor.change;
  }

  /** Starts at the end of the feed: what was committed before needs no publishing. */
  async start(): Promise<void> {
    this.#cursor = await feedHead(this.#db);
    this.#schedule();
  }

  /** Reads and handles everything committed since the last poll. Polls never overlap. */
  poll(): Promise<void> {
    this.#poll = this.#poll.then(() => this.#drain()).catch((error: unknown) => this.#onError(error));
    return this.#poll;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#poll;
  }

  async #drain(): Promise<void> {
    let batch: FeedBatch;
    do {
      if (this.#closed) return;
      batch = await commitsAfter(this.#db, this.#cursor);
      this.#apply(batch);
      this.#cursor = batch.cursor;
    } while (batch.more);
  }

  #apply(batch: FeedBatch): void {
    for (const change of batch.changes) {
      this.#store.invalidateEnvironment(change.tenantId, change.env, change.version);
      this.#broadcaster.publish(change);
    }
    for (const key of batch.keys) {
      this.#store.invalidateKey(key.tenantId, key.keyId, key.prefix ?? undefined);
      if (key.action === "revoke") this.#broadcaster.keyRevoked(key.tenantId, key.keyId);
    }
    for (const e of batch.envs) {
      this.#store.invalidateSigning(e.tenantId, e.env);
      if (e.cause === "epoch") this.#store.invalidateEnvironment(e.tenantId, e.env);
      if (e.cause !== null) this.#broadcaster.resetEnvironment?.(e.tenantId, e.env, e.cause, e.seq);
    }
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.poll().finally(() => this.#schedule());
    }, this.#intervalMs);
    this.#timer.unref();
  }
}
