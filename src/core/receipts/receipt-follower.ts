/**
 * Follows each committed change's propagation receipt until it is final, then
 * saves it (ReceiptStore), and reports its progress to the operator event
 * source on the way:
 *
 * - a `receipt` event every tick (about 250 ms) while it is pending and someone
 *   listens, and one final event when it is saved;
 * - saved once `complete` (or `no-instances`: nobody was connected at commit,
 *   so nothing will change), or `finalAfterMs` (10 minutes) after the commit with
 *   the instances still pending then, or by {@link ReceiptFollower.saveAll} at
 *   shutdown.
 *
 * Runtime-agnostic: the host gives it the live receipts (its tracker, or its
 * hub and the receipts' tracker), a timer, and, where the process may vanish between
 * ticks (a Durable Object that hibernates or is evicted), a journal that keeps
 * the list of followed changes; such a host also wakes it at
 * {@link ReceiptFollower.nextDeadline}.
 *
 * {@link ReceiptFollower.source} wraps the live receipts for the receipt route:
 * a change still followed answers live (`final: false`), one saved answers what
 * was saved (`final: true`), including after a restart.
 */
import type { OperatorEvents } from "../events/operator-events.js";
import type { PropagationReceipt } from "../schemas/responses.js";
import type { ReceiptStore, SavedBecause, SavedReceipt } from "./receipt-store.js";

/** Where live receipts come from: the host's PropagationSource. */
export interface LiveReceipts {
  receipt(tenantId: string, env: string, version: number): PropagationReceipt | null | Promise<PropagationReceipt | null>;
}

/** A receipt as the route answers it. */
export type AnsweredReceipt = PropagationReceipt & { final: boolean; savedAt?: string; savedBecause?: SavedBecause };

export interface FollowedChange {
  tenantId: string;
  env: string;
  version: number;
  /** Epoch milliseconds. */
  committedAt: number;
  audit?: { seq: number; hash: string } | undefined;
}

/** Keeps the followed list where the host may lose its memory (the Durable Object's synchronous KV). */
export interface FollowJournal {
  load(): FollowedChange[];
  store(followed: readonly FollowedChange[]): void;
}

export interface FollowerTimer {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface ReceiptFollowerOptions {
  live: LiveReceipts;
  store: ReceiptStore;
  events?: OperatorEvents | undefined;
  now?: () => number;
  /** Default 250 ms. */
  tickMs?: number;
  /** Default 10 minutes. */
  finalAfterMs?: number;
  /** Changes followed at once; past it the oldest is saved as it stands. Default 10,000. */
  maxFollowed?: number;
  /**
   * Tick while anything is followed (default). False: tick only when poked
   * (an ack, a disconnect) or while someone listens to the tenant's events, so
   * that an idle Durable Object can hibernate; the host then wakes it at
   * `nextDeadline()`.
   */
  tickAlways?: boolean;
  journal?: FollowJournal;
  timer?: FollowerTimer;
  onError?: (error: unknown) => void;
}

const DEFAULT_TIMER: FollowerTimer = {
  set: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    // Node: a pending tick must not keep a stopping process alive (shutdown saves them all).
    (handle as { unref?: () => void }).unref?.();
    return handle;
  },
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Saves that failed this many times in a row are given up (reported), so a broken database is no loop. */
const MAX_SAVE_FAILURES = 20;

interface Followed extends FollowedChange {
  failures: number;
}

export class ReceiptFollower {
  readonly #options: ReceiptFollowerOptions;
  readonly #now: () => number;
  readonly #tickMs: number;
  readonly #finalAfterMs: number;
  readonly #maxFollowed: number;
  readonly #timer: FollowerTimer;
  readonly #onError: (error: unknown) => void;
  /** By `tenant/env/version`, in commit order. */
  readonly #followed = new Map<string, Followed>();
  #loaded = false;
  #scheduled: unknown = null;
  #running: Promise<void> | null = null;
  #closed = false;

  constructor(options: ReceiptFollowerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#tickMs = options.tickMs ?? 250;
    this.#finalAfterMs = options.finalAfterMs ?? 600_000;
    this.#maxFollowed = Math.max(1, options.maxFollowed ?? 10_000);
    this.#timer = options.timer ?? DEFAULT_TIMER;
    this.#onError = options.onError ?? (() => {});
  }

  /** A change was committed (and counted by the live source): follow it until final. */
  follow(change: FollowedChange): void {
    if (this.#closed) return;
    this.#load();
    const key = keyOf(change);
    if (this.#followed.has(key)) return;
    this.#followed.set(key, { ...change, failures: 0 });
    if (this.#followed.size > this.#maxFollowed) {
      const [oldestKey, oldest] = this.#followed.entries().next().value!;
      this.#followed.delete(oldestKey);
      void this.#finish(oldest, "timeout").catch(this.#onError);
    }
    this.#journal();
    this.poke();
  }

  /** Something may have moved (an ack, a disconnect): tick soon. */
  poke(): void {
    if (this.#closed || this.#scheduled !== null) return;
    this.#load();
    if (this.#followed.size === 0) return;
    this.#scheduled = this.#timer.set(() => {
      this.#scheduled = null;
      void this.tick();
    }, this.#tickMs);
  }

  isFollowing(tenantId: string, env: string, version: number): boolean {
    this.#load();
    return this.#followed.has(keyOf({ tenantId, env, version }));
  }

  /** The earliest time a followed change must be saved whatever its state: the host's wake-up (Durable Object alarm). */
  nextDeadline(): number | null {
    this.#load();
    let next: number | null = null;
    for (const change of this.#followed.values()) {
      const due = change.committedAt + this.#finalAfterMs;
      if (next === null || due < next) next = due;
    }
    return next;
  }

  /** Reads every followed receipt once: reports progress, saves the final ones. Ticks never overlap. */
  tick(): Promise<void> {
    this.#running ??= this.#tickOnce().finally(() => {
      this.#running = null;
      if (this.#shouldTickAgain()) this.poke();
    });
    return this.#running;
  }

  /** Shutdown: saves every followed receipt as it stands, and follows nothing more. */
  async saveAll(): Promise<void> {
    this.#load();
    this.#closed = true;
    if (this.#scheduled !== null) this.#timer.clear(this.#scheduled);
    this.#scheduled = null;
    await this.#running;
    const all = [...this.#followed.values()];
    await Promise.all(all.map((change) => this.#finish(change, "shutdown").catch(this.#onError)));
  }

  /**
   * The live source as the receipt route reads it: a change still followed
   * answers live, one saved answers what was saved; otherwise whatever the live
   * source still knows, not final.
   */
  source(): { receipt(tenantId: string, env: string, version: number): Promise<AnsweredReceipt | null> } {
    return {
      receipt: async (tenantId, env, version) => {
        if (!this.isFollowing(tenantId, env, version)) {
          const saved = await this.#options.store.savedReceipt(tenantId, env, version);
          if (saved) return saved;
        }
        const live = await this.#options.live.receipt(tenantId, env, version);
        return live && { ...live, final: false };
      },
    };
  }

  async #tickOnce(): Promise<void> {
    this.#load();
    const now = this.#now();
    for (const change of [...this.#followed.values()]) {
      try {
        const live = await this.#options.live.receipt(change.tenantId, change.env, change.version);
        if (live === null) {
          // The live source no longer knows it (dropped from its window): nothing left to save.
          this.#drop(change);
          continue;
        }
        if (live.status !== "pending") await this.#save(change, live, live.status);
        else if (now - change.committedAt >= this.#finalAfterMs) await this.#save(change, live, "timeout");
        else this.#report(change, live, false);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  async #finish(change: Followed, because: SavedBecause): Promise<void> {
    const live = await this.#options.live.receipt(change.tenantId, change.env, change.version);
    if (live === null) return this.#drop(change);
    await this.#save(change, live, live.status === "complete" ? "complete" : live.status === "no-instances" ? "no-instances" : because);
  }

  /** Saves and stops following; a failed save is kept for the next tick (a busy database), up to a point. */
  async #save(change: Followed, live: PropagationReceipt, because: SavedBecause): Promise<void> {
    const saved: SavedReceipt = {
      ...live,
      ...(change.audit && live.audit === undefined ? { audit: change.audit } : {}),
      final: true,
      savedAt: new Date(this.#now()).toISOString(),
      savedBecause: because,
    };
    try {
      await this.#options.store.saveReceipt(change.tenantId, change.env, saved);
    } catch (error) {
      if (++change.failures < MAX_SAVE_FAILURES && !this.#closed) return;
      this.#onError(error);
    }
    this.#drop(change);
    this.#report(change, live, true);
  }

  #report(change: FollowedChange, receipt: PropagationReceipt, final: boolean): void {
    const events = this.#options.events;
    if (!events || (!final && !events.hasSubscribers(change.tenantId))) return;
    events.publish(change.tenantId, "receipt", {
      env: change.env,
      version: change.version,
      connected: receipt.connected,
      acked: receipt.acked,
      pending: receipt.pending.length,
      p99: receipt.latencyMs.p99,
      status: receipt.status,
      complete: receipt.complete,
      final,
    });
  }

  #drop(change: FollowedChange): void {
    if (this.#followed.delete(keyOf(change))) this.#journal();
  }

  #shouldTickAgain(): boolean {
    if (this.#closed || this.#followed.size === 0) return false;
    if (this.#options.tickAlways !== false) return true;
    const events = this.#options.events;
    return events !== undefined && [...this.#followed.values()].some((change) => events.hasSubscribers(change.tenantId));
  }

  /** After a wake, the followed list comes back from the journal. */
  #load(): void {
    if (this.#loaded) return;
    this.#loaded = true;
    for (const change of this.#options.journal?.load() ?? []) this.#followed.set(keyOf(change), { ...change, failures: 0 });
  }

  #journal(): void {
    const journal = this.#options.journal;
    if (!journal) return;
    try {
      journal.store([...this.#followed.values()].map(({ failures: _failures, ...change }) => change));
    } catch (error) {
      this.#onError(error);
    }
  }
}

const keyOf = (change: Pick<FollowedChange, "tenantId" | "env" | "version">) => `${change.tenantId}/${change.env}/${change.version}`;
