/**
 * The one receipt model, the same on every host: per committed version, its
 * commit time, how many instances were connected at its commit, and one ack
 * latency (ack time − commit time) per such instance that has applied it; with
 * the instances still connected, the receipt's pending list and status.
 *
 * Pure logic: no clock, no I/O. The versions' records live behind a small port,
 * {@link ReceiptLedger}, with three implementations: memory (Node, one
 * process: memory-ledger.ts), the Durable Object's storage (the Worker:
 * src/worker/durable-receipt-ledger.ts) and memory mirrored to the cluster
 * tables (Node, several processes: src/node/cluster/cluster-ledger.ts). The
 * connections themselves are the host's (the Worker's attachments, the Node
 * host's instance records): the tracker is told what it needs of them.
 */
import type { PendingInstance, ReceiptPart } from "./receipt.js";

/** What receipts need of one connection. */
export interface ReceiptConnection {
  /**
   * Null until the connection has been sent its first state after its hello;
   * then the version it is counted from: it is connected at the commit of every
   * later version (see {@link connectedAtCommit}).
   */
  firstVersion: number | null;
  /** The highest version it has acked; null (or below 0) before its first ack. */
  appliedVersion: number | null;
}

/**
 * The one definition of "connected at commit": the connection had been sent a
 * state (a snapshot, a patch or "you are current") after its hello, before
 * `version` was committed. Its first state's version stands for that moment: a
 * connection whose first state is still loading is not counted; one sent
 * version `v` first was connected at every later commit. A host that learns of
 * a commit only after it has sent a newer state (the Node host's other
 * processes) counts from the newer of the two (see {@link countedFrom}).
 */
export function connectedAtCommit(connection: ReceiptConnection, version: number): boolean {
  return connection.firstVersion !== null && connection.firstVersion < version;
}

/**
 * The `firstVersion` of a connection sent its first state at version `sent`
 * when the newest commit the tracker knows of is `newest`: a commit it already
 * knows of came before that state, even if the state was read before it.
 */
export function countedFrom(sent: number, newest: number | null): number {
  return newest === null ? sent : Math.max(sent, newest);
}

/** One version's record, as a ledger keeps it. */
export interface ReceiptRecord {
  /** Epoch milliseconds. */
  readonly committedAt: number;
  /** Instances connected at commit. */
  readonly connected: number;
  /** One slot per instance connected at commit; the first `acked` hold ack latencies in milliseconds. */
  readonly samples: Float64Array;
  acked: number;
}

export function newRecord(committedAt: number, connected: number, latencies: ArrayLike<number> = []): ReceiptRecord {
  // Never more samples than instances connected at commit, whatever was stored.
  const samples = new Float64Array(Math.max(0, connected));
  const acked = Math.min(latencies.length, samples.length);
  for (let i = 0; i < acked; i++) samples[i] = latencies[i]!;
  return { committedAt, connected: samples.length, samples, acked };
}

/**
 * The store port of the receipts: where versions' records are kept. A ledger
 * keeps the last `keep` versions per environment and decides when it writes:
 * records are committed once per version and gain samples per ack, so a
 * durable ledger batches the latter (never one write per ack).
 */
export interface ReceiptLedger {
  /** Versions kept per environment. */
  readonly keep: number;
  /** Keeps the record of a version committed now. */
  committed(tenantId: string, env: string, version: number, record: ReceiptRecord): void;
  /** The record of a kept version; null when it is not (or no longer) kept. */
  record(tenantId: string, env: string, version: number): ReceiptRecord | null;
  /** A kept record gained samples. */
  sampled(tenantId: string, env: string, version: number, record: ReceiptRecord): void;
}

export interface ReceiptTrackerOptions {
  /** Told each ack latency as it is recorded, in milliseconds (the apply-time histogram). */
  onApplied?: (ms: number) => void;
}

export class ReceiptTracker {
  readonly ledger: ReceiptLedger;
  readonly #onApplied: ((ms: number) => void) | undefined;

  constructor(ledger: ReceiptLedger, options: ReceiptTrackerOptions = {}) {
    this.ledger = ledger;
    this.#onApplied = options.onApplied;
  }

  /** A version was committed while `connected` instances were connected (counted with {@link countConnected}). */
  commit(tenantId: string, env: string, version: number, committedAt: number, connected: number): void {
    this.ledger.committed(tenantId, env, version, newRecord(committedAt, connected));
  }

  /**
   * A connection acked up to its `appliedVersion`, having applied `previous`
   * before (null or below 0: nothing). Every version in between that it was
   * connected at the commit of gains one sample; an ack below the newest
   * commit covers only the versions up to it.
   */
  ack(tenantId: string, env: string, connection: ReceiptConnection, previous: number | null, at: number): void {
    const { firstVersion: first, appliedVersion: applied } = connection;
    if (first === null || applied === null || applied < 0) return;
    const from = Math.max(previous ?? -1, first, applied - this.ledger.keep) + 1;
    for (let version = Math.max(from, 1); version <= applied; version++) {
      const record = this.ledger.record(tenantId, env, version);
      if (record === null || record.acked >= record.connected) continue;
      const latency = at - record.committedAt;
      record.samples[record.acked++] = latency;
      this.ledger.sampled(tenantId, env, version, record);
      this.#onApplied?.(Math.max(0, latency));
    }
  }

  /** One host's (or node's) share of a receipt, with its still-connected instances that are behind; null when not kept. */
  part(tenantId: string, env: string, version: number, pending: PendingInstance[]): ReceiptPart | null {
    const record = Number.isSafeInteger(version) && version >= 1 ? this.ledger.record(tenantId, env, version) : null;
    if (record === null) return null;
    return { version, committedAt: record.committedAt, connected: record.connected, latencies: record.samples.subarray(0, record.acked), pending };
  }
}

/** How many of these connections are connected at the commit of `version`. */
export function countConnected(connections: Iterable<ReceiptConnection>, version: number): number {
  let connected = 0;
  for (const c of connections) if (connectedAtCommit(c, version)) connected++;
  return connected;
}

/** Who holds up a version's receipt: connections connected at its commit that have not acked it, in the order given. */
export function pendingAt<C extends ReceiptConnection & { instance: string | null; app: string | null }>(
  connections: Iterable<C>,
  version: number,
): PendingInstance[] {
  const out: PendingInstance[] = [];
  for (const c of connections) {
    const applied = c.appliedVersion === null || c.appliedVersion < 0 ? null : c.appliedVersion;
    if (connectedAtCommit(c, version) && (applied ?? -1) < version) out.push({ instance: c.instance ?? "", app: c.app ?? "", appliedVersion: applied });
  }
  return out;
}

/**
 * The lowest version an environment's connections are all past: version `v`
 * is pending for a connection exactly when `v` > max(firstVersion, applied),
 * so an environment's pending versions are those above the smallest such
 * bound. Infinity when no connection has had its first state.
 */
export function lowestBound(connections: Iterable<ReceiptConnection>): number {
  let lowest = Infinity;
  for (const c of connections) {
    if (c.firstVersion === null) continue;
    lowest = Math.min(lowest, Math.max(c.firstVersion, c.appliedVersion ?? -1));
  }
  return lowest;
}

/** How many versions in `oldest..newest` (the kept ones) are pending for connections whose {@link lowestBound} is `bound`. */
export function incompleteCount(bound: number, newest: number, oldest: number): number {
  return Math.max(0, newest - Math.max(bound, oldest - 1));
}
