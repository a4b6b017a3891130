/**
 * The receipts' ledger of one tenant's Durable Object (the core's
 * ReceiptLedger port, src/core/receipts/receipt-tracker.ts): per committed
 * version, its commit time, how many instances were connected then, and one ack
 * latency per such instance that has applied it. Which of those instances are
 * still connected and behind is read from the sockets' attachments when a
 * receipt is asked for (propagation-source.ts).
 *
 * The object may hibernate, or be evicted by a deploy, at any moment when
 * idle, so a record lives in the object's synchronous KV as well as in
 * memory. Writes stay per version, never per socket:
 * - one `put` when a version is committed (and one `delete` of the version
 *   that falls out of the last `keepVersions`);
 * - samples only fill memory; a one-shot timer writes each version that gained
 *   samples `flushDelayMs` after its first new sample. 10,000 instances
 *   acking a flip within a second cost one or two writes, not 10,000. The
 *   timer keeps the object awake that long, never longer: idle tenants still
 *   hibernate. An eviction inside that window loses its samples only (the
 *   receipt then counts those instances as connected and not acked).
 *
 * One object serves one tenant: the tenant id the port passes is implied.
 */
import { newRecord, type ReceiptLedger, type ReceiptRecord } from "../core/receipts/receipt-tracker.js";

/** The object's synchronous KV (`ctx.storage.kv`), or a Map-backed stand-in in tests. */
export interface ReceiptStorage {
  get<T = unknown>(key: string): T | undefined;
  put<T>(key: string, value: T): void;
  delete(key: string): boolean;
}

export interface DurableReceiptLedgerOptions {
  /** Versions kept in storage per environment, oldest dropped first (as on Node). Default 256. */
  keepVersions?: number;
  /** Versions kept in memory per environment. Default 16: acks concern the newest ones. */
  cachedVersions?: number;
  /** Delay between the first unsaved sample and the write. Default 1,000 ms. */
  flushDelayMs?: number;
  setTimer?: (callback: () => void, ms: number) => unknown;
}

/** What storage holds per version. */
interface StoredReceipt {
  committedAt: number;
  connected: number;
  /** Milliseconds, one per acked instance. */
  latencies: number[];
}

export class DurableReceiptLedger implements ReceiptLedger {
  readonly keep: number;
  readonly #storage: ReceiptStorage;
  readonly #cached: number;
  readonly #flushDelayMs: number;
  readonly #setTimer: (callback: () => void, ms: number) => unknown;
  /** Per environment, versions read or written while awake; null: storage has none. */
  readonly #memory = new Map<string, Map<number, ReceiptRecord | null>>();
  /** Records with samples storage does not have yet, by storage key. */
  readonly #unsaved = new Map<string, ReceiptRecord>();
  #flushScheduled = false;

  constructor(storage: ReceiptStorage, options: DurableReceiptLedgerOptions = {}) {
    this.#storage = storage;
    this.keep = Math.max(1, options.keepVersions ?? 256);
    this.#cached = Math.max(1, options.cachedVersions ?? 16);
    this.#flushDelayMs = options.flushDelayMs ?? 1_000;
    this.#setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
  }

  /** Written at once: one `put` per commit. A version committed again (a restore's new epoch) replaces the record. */
  committed(_tenantId: string, env: string, version: number, record: ReceiptRecord): void {
    this.#storage.put(storageKey(env, version), stored(record));
    const dropped = version - this.keep;
    this.#storage.delete(storageKey(env, dropped));
    this.#unsaved.delete(storageKey(env, dropped));
    this.#memory.get(env)?.delete(dropped);
    this.#remember(env, version, record);
  }

  record(_tenantId: string, env: string, version: number): ReceiptRecord | null {
    if (!Number.isSafeInteger(version) || version < 1) return null;
    const cached = this.#memory.get(env)?.get(version);
    if (cached !== undefined) return cached;
    const key = storageKey(env, version);
    const unsaved = this.#unsaved.get(key);
    if (unsaved !== undefined) return unsaved;
    const saved = this.#storage.get<StoredReceipt>(key);
    const record = saved === undefined ? null : newRecord(saved.committedAt, saved.connected, saved.latencies);
    this.#remember(env, version, record);
    return record;
  }

  /** Batched: written by the flush timer. */
  sampled(_tenantId: string, env: string, version: number, record: ReceiptRecord): void {
    this.#unsaved.set(storageKey(env, version), record);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    this.#setTimer(() => this.flush(), this.#flushDelayMs);
  }

  /** Writes every record that gained samples since the last write. */
  flush(): void {
    this.#flushScheduled = false;
    for (const [key, record] of this.#unsaved) this.#storage.put(key, stored(record));
    this.#unsaved.clear();
  }

  #remember(env: string, version: number, record: ReceiptRecord | null): void {
    let versions = this.#memory.get(env);
    if (versions === undefined) this.#memory.set(env, (versions = new Map()));
    versions.set(version, record);
    if (versions.size <= this.#cached) return;
    // Forget the oldest version; an unsaved one stays reachable through #unsaved until written.
    const oldest = Math.min(...versions.keys());
    versions.delete(oldest);
  }
}

function stored(record: ReceiptRecord): StoredReceipt {
  return { committedAt: record.committedAt, connected: record.connected, latencies: Array.from(record.samples.subarray(0, record.acked)) };
}

function storageKey(env: string, version: number): string {
  // Environment keys never contain "/" (^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$).
  return `receipt/${env}/${version}`;
}
