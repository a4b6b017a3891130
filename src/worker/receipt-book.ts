/**
 * The commit-time half of the propagation receipts of one tenant's Durable
 * Object: per committed version, its commit time, how many instances were
 * connected then, and one ack latency per such instance that has applied it.
 * The other half, which of those instances are still connected and behind,
 * is read from the sockets' attachments when a receipt is asked for (see
 * HibernatingHub.pending); `mergeReceiptParts` from the core turns both into
 * the same receipt the Node host answers.
 *
 * The object may hibernate, or be evicted by a deploy, at any moment when
 * idle, so a receipt lives in the object's synchronous KV as well as in
 * memory. Writes stay per version, never per socket:
 * - one `put` when a version is committed (and one `delete` of the version
 *   that falls out of the last `keepVersions`);
 * - acks only fill memory; a one-shot timer writes each version that gained
 *   samples `flushDelayMs` after its first new sample. 10,000 instances
 *   acking a flip within a second cost one or two writes, not 10,000. The
 *   timer keeps the object awake that long, never longer: idle tenants still
 *   hibernate. An eviction inside that window loses its samples only (the
 *   receipt then counts those instances as connected and not acked).
 */
import type { ReceiptPart, PendingInstance } from "../core/propagation.js";

/** The object's synchronous KV (`ctx.storage.kv`), or a Map-backed stand-in in tests. */
export interface ReceiptStorage {
  get<T = unknown>(key: string): T | undefined;
  put<T>(key: string, value: T): void;
  delete(key: string): boolean;
}

export interface ReceiptBookOptions {
  /** Versions kept in storage per environment, oldest dropped first (as on Node). Default 256. */
  keepVersions?: number;
  /** Versions kept in memory per environment. Default 16: acks concern the newest ones. */
  cachedVersions?: number;
  /** Delay between the first unsaved ack sample and the write. Default 1,000 ms. */
  flushDelayMs?: number;
  setTimer?: (callback: () => void, ms: number) => unknown;
  /** Told each ack latency as it is recorded, in milliseconds (the apply-time histogram). */
  onSample?: (ms: number) => void;
}

/** What a socket's attachment says about its acks, as far as receipts care. */
export interface AckingConnection {
  /** The version of the first state it was sent: it was connected for every later commit. */
  firstVersion: number | null;
  /** The highest version it has acked, this ack included. */
  appliedVersion: number | null;
}

/** What storage holds per version. */
interface StoredReceipt {
  committedAt: number;
  connected: number;
  /** Milliseconds, one per acked instance. */
  latencies: number[];
}

class VersionRecord {
  readonly samples: Float64Array;
  acked: number;
  constructor(
    readonly committedAt: number,
    readonly connected: number,
    latencies: readonly number[] = [],
  ) {
    // Exactly one slot per instance connected at commit time, as in the core's tracker.
    this.samples = new Float64Array(connected);
    this.acked = Math.min(latencies.length, connected);
    this.samples.set(latencies.slice(0, this.acked));
  }

  stored(): StoredReceipt {
    return { committedAt: this.committedAt, connected: this.connected, latencies: Array.from(this.samples.subarray(0, this.acked)) };
  }
}

export class ReceiptBook {
  readonly #storage: ReceiptStorage;
  readonly #keep: number;
  readonly #cached: number;
  readonly #flushDelayMs: number;
  readonly #setTimer: (callback: () => void, ms: number) => unknown;
  readonly #onSample: ((ms: number) => void) | undefined;
  /** Per environment, versions read or written while awake; null: storage has none. */
  readonly #memory = new Map<string, Map<number, VersionRecord | null>>();
  /** Records with samples storage does not have yet, by storage key. */
  readonly #unsaved = new Map<string, VersionRecord>();
  #flushScheduled = false;

  constructor(storage: ReceiptStorage, options: ReceiptBookOptions = {}) {
    this.#storage = storage;
    this.#keep = Math.max(1, options.keepVersions ?? 256);
    this.#cached = Math.max(1, options.cachedVersions ?? 16);
    this.#flushDelayMs = options.flushDelayMs ?? 1_000;
    this.#setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
    this.#onSample = options.onSample;
  }

  /** A version was committed while `connected` instances were connected (called from publish). */
  committed(env: string, version: number, committedAt: number, connected: number): void {
    const record = new VersionRecord(committedAt, connected);
    this.#storage.put(storageKey(env, version), record.stored());
    const dropped = version - this.#keep;
    this.#storage.delete(storageKey(env, dropped));
    this.#unsaved.delete(storageKey(env, dropped));
    this.#memory.get(env)?.delete(dropped);
    this.#remember(env, version, record);
  }

  /**
   * A connection acked up to its `appliedVersion`, having applied `previous`
   * before (null: nothing). Every version in between that was committed after
   * its first state gains one sample: ack time − commit time.
   */
  acked(env: string, connection: AckingConnection, previous: number | null, at: number): void {
    const { firstVersion, appliedVersion: applied } = connection;
    if (firstVersion === null || applied === null) return;
    const from = Math.max(previous ?? -1, firstVersion, applied - this.#keep) + 1;
    for (let version = from; version <= applied; version++) {
      const record = this.#record(env, version);
      if (record === null || record.acked >= record.connected) continue;
      const latency = at - record.committedAt;
      record.samples[record.acked++] = latency;
      this.#markUnsaved(storageKey(env, version), record);
      this.#onSample?.(Math.max(0, latency));
    }
  }

  /** The commit-time half of a receipt, with the still-connected instances that are behind; null when not kept. */
  part(env: string, version: number, pending: PendingInstance[]): ReceiptPart | null {
    const record = this.#record(env, version);
    if (record === null) return null;
    return {
      version,
      committedAt: record.committedAt,
      connected: record.connected,
      latencies: record.samples.subarray(0, record.acked),
      pending,
    };
  }

  /** Writes every record that gained samples since the last write. */
  flush(): void {
    this.#flushScheduled = false;
    for (const [key, record] of this.#unsaved) this.#storage.put(key, record.stored());
    this.#unsaved.clear();
  }

  #markUnsaved(key: string, record: VersionRecord): void {
    this.#unsaved.set(key, record);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    this.#setTimer(() => this.flush(), this.#flushDelayMs);
  }

  #record(env: string, version: number): VersionRecord | null {
    if (!Number.isSafeInteger(version) || version < 1) return null;
    const cached = this.#memory.get(env)?.get(version);
    if (cached !== undefined) return cached;
    const key = storageKey(env, version);
    const unsaved = this.#unsaved.get(key);
    if (unsaved !== undefined) return unsaved;
    const stored = this.#storage.get<StoredReceipt>(key);
    const record = stored === undefined ? null : new VersionRecord(stored.committedAt, stored.connected, stored.latencies);
    this.#remember(env, version, record);
    return record;
  }

  #remember(env: string, version: number, record: VersionRecord | null): void {
    let versions = this.#memory.get(env);
    if (versions === undefined) this.#memory.set(env, (versions = new Map()));
    versions.set(version, record);
    if (versions.size <= this.#cached) return;
    // Forget the oldest version; an unsaved one stays reachable through #unsaved until written.
    const oldest = Math.min(...versions.keys());
    versions.delete(oldest);
  }
}

function storageKey(env: string, version: number): string {
  // Environment keys never contain "/" (^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$).
  return `receipt/${env}/${version}`;
}
