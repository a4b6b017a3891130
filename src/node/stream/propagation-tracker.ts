/**
 * The Node host's receipts: the core's receipt model (ReceiptTracker,
 * src/core/receipts/receipt-tracker.ts) over a ledger in memory, or mirrored to
 * the cluster tables when several processes share the database
 * (`recordUpdates`), and the host's record of each connected instance, which
 * the hub keeps up to date (connected, acked, disconnected) and the receipt's
 * pending list and `GET /v1/envs/{env}/instances` read.
 *
 * Memory is bounded (versions per environment, environments) and flat per
 * connection: an instance is one small record; who was connected at a commit
 * is not stored as a set, but follows from each record's `firstVersion`
 * (`connectedAtCommit`). With `recordUpdates`, the tracker also lists what
 * changed since it was last asked (`drainUpdates`, `drainVersionUpdates`),
 * which the cluster's instance mirror writes to the shared database.
 */
import {
  instanceView,
  mergeReceiptParts,
  type InstanceInfo,
  type InstanceList,
  type InstanceView,
  type PendingInstance,
  type PropagationReceipt,
  type ReceiptPart,
} from "../../core/receipts/receipt.js";
import { MemoryLedger } from "../../core/receipts/memory-ledger.js";
import { connectedAtCommit, countedFrom, incompleteCount, lowestBound, pendingAt, ReceiptTracker } from "../../core/receipts/receipt-tracker.js";
import { ClusterLedger, type VersionUpdate } from "../cluster/cluster-ledger.js";

/** A live connection, as returned by {@link PropagationTracker.connect}. Treat it as opaque. */
export interface InstanceHandle {
  readonly instance: string;
  readonly app: string;
  readonly sdk: string;
  /** Epoch milliseconds. */
  readonly connectedAt: number;
  /** The version it is counted from (`connectedAtCommit`). */
  readonly firstVersion: number;
  /** The highest version this instance has acked; -1 before its first ack. */
  readonly appliedVersion: number;
}

/** A change to one instance record, for a node that mirrors its instances to a shared store. */
export interface InstanceUpdate {
  tenantId: string;
  env: string;
  /** Unique per connection within this tracker. */
  seq: number;
  info: InstanceInfo;
  connectedAt: number;
  firstVersion: number;
  appliedVersion: number;
  lastAckAt: number;
  /** False once the connection has closed. */
  live: boolean;
}

export type { VersionUpdate };

export interface PropagationTrackerOptions {
  /** Versions kept per environment (oldest dropped first). Default 256. */
  maxVersions?: number;
  /**
   * Environments tracked at once. Past it, the longest-tracked environment with no
   * connection is forgotten (its receipts answer null). Default 10,000.
   */
  maxEnvs?: number;
  /** Epoch-millisecond clock for connections and acks. Default `Date.now`. */
  now?: () => number;
  /** Keep lists of changed records for {@link PropagationTracker.drainUpdates} and {@link PropagationTracker.drainVersionUpdates}. Default false. */
  recordUpdates?: boolean;
  /** Told each ack latency as it is recorded, in milliseconds (the apply-time histogram). */
  onApplied?: (ms: number) => void;
}

class Instance implements InstanceHandle {
  appliedVersion = -1;
  lastAckAt = 0;
  live = true;
  constructor(
    readonly env: LiveEnv,
    readonly seq: number,
    readonly instance: string,
    readonly app: string,
    readonly sdk: string,
    readonly connectedAt: number,
    readonly firstVersion: number,
  ) {}
}

/** An environment's live connections, in connection order. */
class LiveEnv {
  readonly live = new Set<Instance>();
  /** At least every live record's `firstVersion`: a commit above it counts them all without a pass. */
  maxFirst = -Infinity;
  constructor(
    readonly tenantId: string,
    readonly env: string,
  ) {}
}

export class PropagationTracker {
  readonly #receipts: ReceiptTracker;
  readonly #ledger: MemoryLedger;
  readonly #cluster: ClusterLedger | null;
  readonly #envs = new Map<string, LiveEnv>();
  /**
   * Connection numbers, one sequence for the whole tracker: a shared store keys
   * connections by it, and lists them in its order.
   */
  #seq = 0;
  readonly #now: () => number;
  readonly #updates: Set<Instance> | null;
  /** `app` and `sdk` repeat across thousands of instances: keep one copy of each string. */
  readonly #strings = new Map<string, string>();

  constructor(options: PropagationTrackerOptions = {}) {
    const ledgerOptions = {
      maxVersions: options.maxVersions,
      maxEnvs: options.maxEnvs,
      canForget: (tenantId: string, env: string) => !this.#envs.has(envKey(tenantId, env)),
    };
    this.#cluster = options.recordUpdates ? new ClusterLedger(ledgerOptions) : null;
    this.#ledger = this.#cluster ?? new MemoryLedger(ledgerOptions);
    this.#receipts = new ReceiptTracker(this.#ledger, { onApplied: options.onApplied });
    this.#now = options.now ?? Date.now;
    this.#updates = options.recordUpdates ? new Set() : null;
  }

  /**
   * A connection has been sent its first state, counted from version `sent` (the
   * session's `firstVersion`; default: the newest commit known here), or from the
   * newest commit known here when that is newer. Keep the handle for {@link ack}
   * and {@link disconnect}.
   */
  connect(tenantId: string, env: string, info: InstanceInfo, at = this.#now(), sent?: number): InstanceHandle {
    const newest = this.#ledger.newest(tenantId, env);
    const first = countedFrom(sent ?? newest ?? 0, newest);
    const key = envKey(tenantId, env);
    let state = this.#envs.get(key);
    if (!state) this.#envs.set(key, (state = new LiveEnv(tenantId, env)));
    const record = new Instance(state, ++this.#seq, info.instance, this.#intern(info.app), this.#intern(info.sdk), at, first);
    state.live.add(record);
    state.maxFirst = Math.max(state.maxFirst, first);
    this.#updates?.add(record);
    return record;
  }

  disconnect(handle: InstanceHandle): void {
    const record = handle as Instance;
    if (!record.live) return;
    record.live = false;
    record.env.live.delete(record);
    if (record.env.live.size === 0) this.#envs.delete(envKey(record.env.tenantId, record.env.env));
    this.#updates?.add(record);
  }

  /** The instance has applied everything up to `version`. */
  ack(handle: InstanceHandle, version: number, at = this.#now()): void {
    const record = handle as Instance;
    record.lastAckAt = at;
    this.#updates?.add(record);
    const previous = record.appliedVersion;
    if (version <= previous) return;
    record.appliedVersion = version;
    const { tenantId, env } = record.env;
    // -1 (no ack yet) passes as is: the tracker reads a previous version below 0 as nothing.
    this.#receipts.ack(tenantId, env, record, previous, at);
  }

  /** The newest version committed here of an environment (its receipts' newest), or null. */
  newest(tenantId: string, env: string): number | null {
    return this.#ledger.newest(tenantId, env);
  }

  /** A version was committed: count who is connected now. */
  commit(tenantId: string, env: string, version: number, committedAt: number): void {
    const state = this.#envs.get(envKey(tenantId, env));
    let connected = 0;
    if (state && state.maxFirst < version) connected = state.live.size;
    else if (state) for (const record of state.live) if (connectedAtCommit(record, version)) connected++;
    this.#receipts.commit(tenantId, env, version, committedAt, connected);
  }

  /** This node's share of a receipt, or null when the version is not (or no longer) tracked. */
  receiptPart(tenantId: string, env: string, version: number): ReceiptPart | null {
    return this.#receipts.part(tenantId, env, version, this.#pending(tenantId, env, version));
  }

  /** The propagation receipt of one version, or null when it is not (or no longer) tracked. */
  receipt(tenantId: string, env: string, version: number): PropagationReceipt | null {
    const part = this.receiptPart(tenantId, env, version);
    return part && mergeReceiptParts([part]);
  }

  /** The raw ack latencies (ms) of one version, for evidence exports and benchmarks. */
  latencies(tenantId: string, env: string, version: number): number[] | null {
    const part = this.#receipts.part(tenantId, env, version, []);
    return part && Array.from(part.latencies);
  }

  /** Kept versions that are pending here: some instance connected at their commit, and still connected, has not acked them. */
  incompleteVersions(): number {
    let count = 0;
    for (const kept of this.#ledger.envs()) {
      const state = this.#envs.get(envKey(kept.tenantId, kept.env));
      const { versions } = kept;
      if (!state || versions.length === 0) continue;
      count += incompleteCount(lowestBound(state.live), versions[versions.length - 1]!.version, versions[0]!.version);
    }
    return count;
  }

  /** Connected instances in connection order; `total` counts all of them. */
  instances(tenantId: string, env: string, limit?: number): InstanceList {
    const state = this.#envs.get(envKey(tenantId, env));
    if (!state) return { items: [], total: 0 };
    const items: InstanceView[] = [];
    const max = limit ?? Infinity;
    for (const record of state.live) {
      if (items.length >= max) break;
      items.push(instanceView(record));
    }
    return { items, total: state.live.size };
  }

  /** Records changed since the last call (needs `recordUpdates`). */
  drainUpdates(): InstanceUpdate[] {
    if (!this.#updates) return [];
    const out: InstanceUpdate[] = [];
    for (const r of this.#updates) {
      out.push({
        tenantId: r.env.tenantId,
        env: r.env.env,
        seq: r.seq,
        info: { instance: r.instance, app: r.app, sdk: r.sdk },
        connectedAt: r.connectedAt,
        firstVersion: r.firstVersion,
        appliedVersion: r.appliedVersion,
        lastAckAt: r.lastAckAt,
        live: r.live,
      });
    }
    this.#updates.clear();
    return out;
  }

  /** Versions committed or acked since the last call (needs `recordUpdates`). */
  drainVersionUpdates(): VersionUpdate[] {
    return this.#cluster?.drainVersionUpdates() ?? [];
  }

  /** Forgets what changed since the last drain, without building the lists (nobody needs them now). */
  discardUpdates(): void {
    this.#updates?.clear();
    this.#cluster?.discardUpdates();
  }

  /** Lists every live record and every kept version as changed, so that the next drains return the whole state. */
  markAllChanged(): void {
    if (!this.#updates || !this.#cluster) return;
    for (const state of this.#envs.values()) for (const record of state.live) this.#updates.add(record);
    this.#cluster.markAllChanged();
  }

  #pending(tenantId: string, env: string, version: number): PendingInstance[] {
    const state = this.#envs.get(envKey(tenantId, env));
    return state ? pendingAt(state.live, version) : [];
  }

  #intern(s: string): string {
    const known = this.#strings.get(s);
    if (known !== undefined) return known;
    if (this.#strings.size < 10_000) this.#strings.set(s, s); // bounded: hostile clients send many
    return s;
  }
}

function envKey(tenantId: string, env: string): string {
  // A tenant id is [a-z0-9]{10}: "/" cannot occur in it.
  return `${tenantId}/${env}`;
}
