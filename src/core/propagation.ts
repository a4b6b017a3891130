/**
 * Propagation proof: for each recent version of an environment, which SDK
 * instances were connected when it was committed, which of them have applied
 * it, and how fast (ack time − commit time).
 *
 * Runtime-agnostic: no sockets, no clock but the injected one. A host's socket
 * layer reports connections and acks; the HTTP routes read receipts and the
 * instance list.
 *
 * Memory is bounded (versions per environment, environments per tracker) and
 * flat per connection: an instance is one small record, and "the set of
 * instances connected at commit time" is not stored as a set.
 * Every connection gets a sequence number that only grows, and a version
 * remembers the last number handed out when it was committed (`seqMark`). An
 * instance was connected at commit time, and still is, exactly when it is live
 * now and its sequence number is ≤ the version's mark. Per version, the tracker
 * keeps the commit time, the count connected, and one latency sample per
 * instance that acked it, for the last `maxVersions` versions.
 *
 * Several nodes: each node's tracker yields a {@link ReceiptPart} per version
 * and its {@link InstanceView}s; {@link mergeReceiptParts} combines the parts of
 * every node into one receipt. With `recordUpdates`, the tracker also lists what
 * changed since it was last asked ({@link PropagationTracker.drainUpdates},
 * {@link PropagationTracker.drainVersionUpdates}), which the Node host's cluster
 * writes to the shared database.
 */

import type { PropagationReceipt, ReceiptStatus } from "./schemas/responses.js";

/** What an SDK instance says about itself in `hello`. */
export interface InstanceInfo {
  instance: string;
  app: string;
  sdk: string;
}

/** A live connection, as returned by {@link PropagationTracker.connect}. Treat it as opaque. */
export interface InstanceHandle {
  readonly instance: string;
  readonly app: string;
  readonly sdk: string;
  /** Epoch milliseconds. */
  readonly connectedAt: number;
  /** The highest version this instance has acked; -1 before its first ack. */
  readonly appliedVersion: number;
}

/** One instance in `GET /v1/envs/{env}/instances`. */
export interface InstanceView {
  instance: string;
  app: string;
  sdk: string;
  /** ISO 8601. */
  connectedAt: string;
  appliedVersion: number | null;
  /** ISO 8601, or null before the first ack. */
  lastAckAt: string | null;
}

export interface InstanceList {
  items: InstanceView[];
  total: number;
}

export interface PendingInstance {
  instance: string;
  app: string;
  appliedVersion: number | null;
}

export interface LatencySummary {
  p50: number | null;
  p99: number | null;
  max: number | null;
}

/** `GET /v1/envs/{env}/changes/{version}` (the route adds the version's audit entry). */
export type { PropagationReceipt, ReceiptStatus };

/** One node's share of a receipt: what {@link mergeReceiptParts} combines. */
export interface ReceiptPart {
  version: number;
  /** Epoch milliseconds. */
  committedAt: number;
  connected: number;
  /** Ack latencies in milliseconds, one per acked instance, in no particular order. */
  latencies: ArrayLike<number>;
  pending: PendingInstance[];
}

/** A change to one instance record, for a node that mirrors its instances to a shared store. */
export interface InstanceUpdate {
  tenantId: string;
  env: string;
  /** Unique per connection within this tracker. */
  seq: number;
  info: InstanceInfo;
  connectedAt: number;
  appliedVersion: number;
  lastAckAt: number;
  /** False once the connection has closed. */
  live: boolean;
}

/** One node's share of one version, for a node that mirrors its receipts to a shared store. */
export interface VersionUpdate {
  tenantId: string;
  env: string;
  version: number;
  committedAt: number;
  /** The last connection sequence number handed out before the commit. */
  seqMark: number;
  connected: number;
  /** The ack latencies so far (a copy). */
  latencies: Float32Array;
  /** The oldest version this tracker still keeps for the environment: older shares can go. */
  oldestKept: number;
}

export interface PropagationTrackerOptions {
  /** Versions kept per environment (oldest dropped first). Default 256. */
  maxVersions?: number;
  /**
   * Environments tracked at once. Past it, the longest-tracked environment with no
   * connection is forgotten (its receipts answer null). Default 10,000.
   */
  maxEnvs?: number;
  /** Epoch-millisecond clock for ack times. Default `Date.now`. */
  now?: () => number;
  /**
   * Keep lists of changed records for {@link PropagationTracker.drainUpdates} and
   * {@link PropagationTracker.drainVersionUpdates}. Default false.
   */
  recordUpdates?: boolean;
  /** Told each ack latency as it is recorded, in milliseconds (the apply-time histogram). */
  onApplied?: (ms: number) => void;
}

class Instance implements InstanceHandle {
  appliedVersion = -1;
  lastAckAt = 0;
  live = true;
  constructor(
    readonly env: EnvState,
    readonly seq: number,
    readonly instance: string,
    readonly app: string,
    readonly sdk: string,
    readonly connectedAt: number,
  ) {}
}

interface VersionEntry {
  readonly env: EnvState;
  version: number;
  committedAt: number;
  /** The last connection sequence number handed out before the commit. */
  seqMark: number;
  connected: number;
  /** One slot per instance connected at commit time; filled as they ack. */
  samples: Float32Array | null;
  acked: number;
}

class EnvState {
  /** Live connections in connection order, so sequence numbers ascend. */
  readonly live = new Set<Instance>();
  /** Ascending by version. */
  readonly versions: VersionEntry[] = [];
  constructor(
    readonly tenantId: string,
    readonly env: string,
  ) {}
}

export class PropagationTracker {
  readonly #envs = new Map<string, EnvState>();
  /**
   * Connection numbers, one sequence for the whole tracker: an environment that is
   * forgotten and tracked again never hands out a number twice (a shared store keys
   * connections by it).
   */
  #seq = 0;
  readonly #maxVersions: number;
  readonly #maxEnvs: number;
  readonly #now: () => number;
  readonly #updates: Set<Instance> | null;
  readonly #versionUpdates: Set<VersionEntry> | null;
  readonly #onApplied: ((ms: number) => void) | undefined;
  /** `app` and `sdk` repeat across thousands of instances: keep one copy of each string. */
  readonly #strings = new Map<string, string>();

  constructor(options: PropagationTrackerOptions = {}) {
    this.#maxVersions = Math.max(1, options.maxVersions ?? 256);
    this.#maxEnvs = Math.max(1, options.maxEnvs ?? 10_000);
    this.#now = options.now ?? Date.now;
    this.#updates = options.recordUpdates ? new Set() : null;
    this.#versionUpdates = options.recordUpdates ? new Set() : null;
    this.#onApplied = options.onApplied;
  }

  /** A connection has said hello. Keep the handle for {@link ack} and {@link disconnect}. */
  connect(tenantId: string, env: string, info: InstanceInfo, at = this.#now()): InstanceHandle {
    const state = this.#env(tenantId, env);
    const record = new Instance(state, ++this.#seq, info.instance, this.#intern(info.app), this.#intern(info.sdk), at);
    state.live.add(record);
    this.#updates?.add(record);
    return record;
  }

  disconnect(handle: InstanceHandle): void {
    const record = handle as Instance;
    if (!record.live) return;
    record.live = false;
    record.env.live.delete(record);
    this.#updates?.add(record);
  }

  /** The instance has applied everything up to `version`. */
  ack(handle: InstanceHandle, version: number, at = this.#now()): void {
    const record = handle as Instance;
    record.lastAckAt = at;
    this.#updates?.add(record);
    const prev = record.appliedVersion;
    if (version <= prev) return;
    record.appliedVersion = version;
    // Versions this ack covers, newest first; an instance that connected after a
    // commit gives that version no sample (nor any older one: marks only grow).
    const versions = record.env.versions;
    for (let i = versions.length - 1; i >= 0; i--) {
      const entry = versions[i]!;
      if (entry.version <= prev) break;
      if (record.seq > entry.seqMark) break;
      if (entry.version > version || entry.samples === null) continue;
      const latency = at - entry.committedAt;
      entry.samples[entry.acked++] = latency;
      this.#versionUpdates?.add(entry);
      this.#onApplied?.(Math.max(0, latency));
    }
  }

  /** A version was committed: remember who is connected now. */
  commit(tenantId: string, env: string, version: number, committedAt: number): void {
    const state = this.#env(tenantId, env);
    const versions = state.versions;
    const last = versions[versions.length - 1];
    if (last && version <= last.version) return; // replayed or out of order: the first record stands
    const connected = state.live.size;
    const entry: VersionEntry = {
      env: state,
      version,
      committedAt,
      seqMark: this.#seq,
      connected,
      samples: connected > 0 ? new Float32Array(connected) : null,
      acked: 0,
    };
    versions.push(entry);
    this.#versionUpdates?.add(entry);
    if (versions.length > this.#maxVersions) {
      const dropped = versions.shift()!;
      this.#versionUpdates?.delete(dropped);
    }
  }

  /** This node's share of a receipt, or null when the version is not (or no longer) tracked. */
  receiptPart(tenantId: string, env: string, version: number): ReceiptPart | null {
    const state = this.#envs.get(envKey(tenantId, env));
    const entry = state && findVersion(state.versions, version);
    if (!state || !entry) return null;
    const pending: PendingInstance[] = [];
    for (const record of state.live) {
      if (record.seq > entry.seqMark) break; // connection order: the rest came later
      if (record.appliedVersion < version) pending.push(pendingView(record));
    }
    return {
      version,
      committedAt: entry.committedAt,
      connected: entry.connected,
      latencies: entry.samples ? entry.samples.subarray(0, entry.acked) : [],
      pending,
    };
  }

  /** The propagation receipt of one version, or null when it is not (or no longer) tracked. */
  receipt(tenantId: string, env: string, version: number): PropagationReceipt | null {
    const part = this.receiptPart(tenantId, env, version);
    return part && mergeReceiptParts([part]);
  }

  /** The raw ack latencies (ms) of one version, for evidence exports and benchmarks. */
  latencies(tenantId: string, env: string, version: number): number[] | null {
    const part = this.receiptPart(tenantId, env, version);
    return part && Array.from(part.latencies);
  }

  /**
   * Kept versions that are pending on this tracker: some instance connected at
   * their commit, and still connected, has not acked them. One pass per
   * environment over its instances and versions: both ascend (connection numbers,
   * and the marks of later versions), so a running minimum of the applied
   * versions of the instances connected up to each version's mark decides it.
   */
  incompleteVersions(): number {
    let count = 0;
    for (const state of this.#envs.values()) {
      if (state.live.size === 0) continue;
      const live = state.live.values();
      let next = live.next();
      let lowestApplied = Infinity;
      for (const entry of state.versions) {
        while (!next.done && next.value.seq <= entry.seqMark) {
          lowestApplied = Math.min(lowestApplied, next.value.appliedVersion);
          next = live.next();
        }
        if (lowestApplied < entry.version) count++;
      }
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
    if (!this.#versionUpdates) return [];
    const out: VersionUpdate[] = [];
    for (const entry of this.#versionUpdates) {
      const versions = entry.env.versions;
      if (versions[0] === undefined || entry.version < versions[0].version) continue; // dropped since
      out.push({
        tenantId: entry.env.tenantId,
        env: entry.env.env,
        version: entry.version,
        committedAt: entry.committedAt,
        seqMark: entry.seqMark,
        connected: entry.connected,
        latencies: entry.samples ? entry.samples.slice(0, entry.acked) : new Float32Array(0),
        oldestKept: versions[0].version,
      });
    }
    this.#versionUpdates.clear();
    return out;
  }

  /** Forgets what changed since the last drain, without building the lists (nobody needs them now). */
  discardUpdates(): void {
    this.#updates?.clear();
    this.#versionUpdates?.clear();
  }

  /**
   * Lists every live record and every kept version as changed, so that the next
   * drains return the whole state (a shared store that lost track of this node).
   */
  markAllChanged(): void {
    if (!this.#updates || !this.#versionUpdates) return;
    for (const state of this.#envs.values()) {
      for (const record of state.live) this.#updates.add(record);
      for (const entry of state.versions) this.#versionUpdates.add(entry);
    }
  }

  #env(tenantId: string, env: string): EnvState {
    const key = envKey(tenantId, env);
    let state = this.#envs.get(key);
    if (!state) {
      if (this.#envs.size >= this.#maxEnvs) this.#forgetOneIdleEnv();
      this.#envs.set(key, (state = new EnvState(tenantId, env)));
    }
    return state;
  }

  /** Insertion order: the first idle one found is the longest tracked. */
  #forgetOneIdleEnv(): void {
    for (const [key, state] of this.#envs) {
      if (state.live.size === 0) {
        this.#envs.delete(key);
        return;
      }
    }
  }

  #intern(s: string): string {
    const known = this.#strings.get(s);
    if (known !== undefined) return known;
    if (this.#strings.size < 10_000) this.#strings.set(s, s); // bounded: hostile clients send many
    return s;
  }
}

/**
 * Combine the parts of every node into one receipt. Parts must share one version.
 * `unknownShare`: some node that may hold instances has not reported its share
 * yet, so nothing can be proven: the status is "pending" whatever the parts say.
 */
export function mergeReceiptParts(parts: ReceiptPart[], unknownShare = false): PropagationReceipt {
  const first = parts[0];
  if (!first) throw new Error("mergeReceiptParts needs at least one part");
  let connected = 0;
  let total = 0;
  for (const p of parts) {
    connected += p.connected;
    total += p.latencies.length;
  }
  const sorted = new Float64Array(total);
  let n = 0;
  for (const p of parts) for (let i = 0; i < p.latencies.length; i++) sorted[n++] = p.latencies[i]!;
  sorted.sort();
  const pending = parts.flatMap((p) => p.pending);
  const status = receiptStatus(connected, pending.length, unknownShare);
  return {
    version: first.version,
    committedAt: new Date(Math.min(...parts.map((p) => p.committedAt))).toISOString(),
    connected,
    acked: total,
    pending,
    latencyMs: {
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      max: total > 0 ? round(sorted[total - 1]!) : null,
    },
    status,
    complete: status === "complete",
  };
}

/**
 * "complete" needs at least one instance connected at commit and none pending:
 * with nobody connected, nothing was reached, and a receipt must not say it was.
 */
export function receiptStatus(connected: number, pending: number, unknownShare = false): ReceiptStatus {
  if (unknownShare || pending > 0) return "pending";
  return connected === 0 ? "no-instances" : "complete";
}

/** Nearest-rank quantile of an ascending array. */
function quantile(sorted: Float64Array, p: number): number | null {
  if (sorted.length === 0) return null;
  return round(sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!);
}

function round(ms: number): number {
  return Math.round(Math.max(0, ms) * 100) / 100;
}

function findVersion(versions: VersionEntry[], version: number): VersionEntry | undefined {
  let lo = 0;
  let hi = versions.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = versions[mid]!.version;
    if (v === version) return versions[mid];
    if (v < version) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/** An instance record as kept (numbers: -1 and 0 before the first ack), whether in memory or in a shared store. */
export interface InstanceRecord {
  instance: string;
  app: string;
  sdk: string;
  connectedAt: number;
  appliedVersion: number;
  lastAckAt: number;
}

export function pendingView(r: Omit<InstanceRecord, "sdk" | "connectedAt" | "lastAckAt">): PendingInstance {
  return { instance: r.instance, app: r.app, appliedVersion: r.appliedVersion < 0 ? null : r.appliedVersion };
}

export function instanceView(r: InstanceRecord): InstanceView {
  return {
    instance: r.instance,
    app: r.app,
    sdk: r.sdk,
    connectedAt: new Date(r.connectedAt).toISOString(),
    appliedVersion: r.appliedVersion < 0 ? null : r.appliedVersion,
    lastAckAt: r.lastAckAt > 0 ? new Date(r.lastAckAt).toISOString() : null,
  };
}

function envKey(tenantId: string, env: string): string {
  // A tenant id is [a-z0-9]{10}: "/" cannot occur in it.
  return `${tenantId}/${env}`;
}
