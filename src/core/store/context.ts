import type { Broadcaster } from "../broadcaster.js";
import type { CommitObserver } from "../events/operator-events.js";
import type { Executor, StoreDb } from "../db/executor.js";
import { sha256Hex, type Sha256Hex } from "../crypto.js";
import { silentTelemetry, type Telemetry } from "../telemetry.js";

export type { Sha256Hex };
import { newTenantId } from "../keys/token.js";
import { KeyCache } from "./key-cache.js";
import { KeyTouches } from "./key-touches.js";
import { SerialQueue } from "./serial-queue.js";
import { SigningCache } from "./signing-cache.js";
import { VersionCache } from "./version-cache.js";
import type { UrlPolicy } from "../webhooks/url-policy.js";

/** SHA-256 of a string's UTF-8 bytes, as 64 lowercase hex digits. */

export interface StoreOptions {
  /** A drizzle handle over the schema (libsql on Node, durable-sqlite in a Durable Object). */
  db: StoreDb;
  /** Commits a planned mutation's statements atomically. */
  executor: Executor;
  /** Told about every committed change and revoked key; `silentBroadcaster` when there are no sockets. */
  broadcaster: Broadcaster;
  /**
   * Told every commit after it lands (its audit entry and the versions it made),
   * before the broadcaster: the operator event source (`OperatorEvents`).
   */
  events?: CommitObserver;
  /** Milliseconds since the epoch; injectable for tests. */
  clock?: () => number;
  /** Receives failures no request can act on: a throwing broadcaster, a lost lastUsedAt write. */
  onBackgroundError?: (error: unknown) => void;
  /** Plans per mutation that collide with another writer's commit before answering 503 busy (default 8). */
  maxAttempts?: number;
  /**
   * How long a mutation may wait, from its arrival (its turn in the queue
   * included), for a write lock that another process holds, before it answers
   * 503 busy. Default 5000 ms.
   */
  writeBudgetMs?: number;
  /** Measures and waits out the write budget, and batches lastUsedAt; injectable for tests. */
  timer?: StoreTimer;
  /**
   * Chooses a new tenant's id (default: 10 random [a-z0-9]). The Worker host passes
   * the id that already names the tenant's Durable Object.
   */
  newTenantId?: () => string;
  /**
   * Hashes a presented key's secret on every authenticated request. Default
   * WebCrypto, which is asynchronous; a host with a synchronous digest (Node:
   * `hash("sha256", text, "hex")` from node:crypto) saves a thread-pool round trip
   * per request.
   */
  sha256?: Sha256Hex;
  /** Told about every commit (metrics, the debug log line); must not throw. */
  telemetry?: Telemetry;
  /**
   * Told that background work fell due at `at` (ms since the epoch): a scheduled
   * change, a webhook delivery or a receipt check was written. The host's
   * background loop (a timer on Node, the object's alarm on Workers) wakes by then.
   */
  onDue?: (at: number) => void;
  /** Which webhook URLs are accepted; default: no private or loopback addresses. */
  webhookUrlPolicy?: UrlPolicy;
}

/** A monotonic clock in milliseconds, and a wait. */
export interface StoreTimer {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const REAL_TIMER: StoreTimer = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** What every store area works with. */
export interface StoreContext {
  db: StoreDb;
  executor: Executor;
  broadcaster: Broadcaster;
  events: CommitObserver | undefined;
  clock: () => number;
  report: (error: unknown) => void;
  maxAttempts: number;
  writeBudgetMs: number;
  timer: StoreTimer;
  /** Each tenant's mutations, one at a time within this process. */
  writes: SerialQueue;
  newTenantId: () => string;
  sha256: Sha256Hex;
  /** The api-key rows authentication needs, dropped by this store's key commits. */
  keys: KeyCache;
  /** Environment versions, raised by this store's commits. */
  versions: VersionCache;
  /** lastUsedAt, written in batches. */
  touches: KeyTouches;
  telemetry: Telemetry;
  onDue: (at: number) => void;
  webhookUrlPolicy: UrlPolicy;
  /** Each environment's epoch and imported signing keys, dropped by this store's rotations and epochs. */
  signing: SigningCache;
}

export function storeContext(options: StoreOptions): StoreContext {
  const timer = options.timer ?? REAL_TIMER;
  const report = options.onBackgroundError ?? ((error: unknown) => console.error("killswitch:", error));
  return {
    db: options.db,
    executor: options.executor,
    broadcaster: options.broadcaster,
    events: options.events,
    clock: options.clock ?? Date.now,
    report,
    maxAttempts: options.maxAttempts ?? 8,
    writeBudgetMs: options.writeBudgetMs ?? 5000,
    timer,
    writes: new SerialQueue(),
    newTenantId: options.newTenantId ?? newTenantId,
    sha256: options.sha256 ?? sha256Hex,
    keys: new KeyCache(),
    versions: new VersionCache(),
    touches: new KeyTouches({ db: options.db, executor: options.executor, timer, report }),
    telemetry: options.telemetry ?? silentTelemetry,
    onDue: (at) => {
      try {
        options.onDue?.(at);
      } catch (error) {
        report(error);
      }
    },
    webhookUrlPolicy: options.webhookUrlPolicy ?? { allowPrivate: false },
    signing: new SigningCache(),
  };
}
