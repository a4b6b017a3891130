/**
 * A propagation receipt's shape and arithmetic, the same on every host: the
 * parts a tracker (or each node of a cluster) holds of one version, merged into
 * the receipt `GET /v1/envs/{env}/changes/{version}` answers, and the views of
 * connected instances.
 */
import type { PropagationReceipt, ReceiptStatus } from "../schemas/responses.js";

/** What an SDK instance says about itself in `hello`. */
export interface InstanceInfo {
  instance: string;
  app: string;
  sdk: string;
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
