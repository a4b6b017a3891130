/**
 * What a receipt's latencies must be, worked out from other answers of the
 * service: an instance's ack time is its `lastAckAt` in the instance list, and
 * the receipt measures each ack as ack time − commit time. So, for instances
 * whose last ack was of the version itself, the receipt's p50, p99 and max are
 * the nearest-rank quantiles of `lastAckAt − committedAt`, exactly. This holds
 * whatever the machine's speed, where a bound on the values would not.
 */

export interface LatencySummary {
  p50: number | null;
  p99: number | null;
  max: number | null;
}

/** Nearest-rank p50, p99 and max of `lastAckAt − committedAt` (ISO 8601 times, milliseconds). */
export function latenciesFromAckTimes(committedAt: string, lastAckAts: readonly string[]): LatencySummary {
  const committed = Date.parse(committedAt);
  const sorted = lastAckAts.map((at) => Date.parse(at) - committed).sort((a, b) => a - b);
  const rank = (p: number) => (sorted.length === 0 ? null : sorted[Math.ceil(p * sorted.length) - 1]!);
  return { p50: rank(0.5), p99: rank(0.99), max: sorted.length === 0 ? null : sorted[sorted.length - 1]! };
}
