/** Nearest-rank percentiles with two decimals, the same definitions as the ws floor's clients.mjs. */
export interface Stats {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function stats(values: readonly number[]): Stats | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const q = (p: number) => round2(sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!);
  return {
    count: sorted.length,
    min: round2(sorted[0]!),
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    max: round2(sorted[sorted.length - 1]!),
  };
}

/** The median (lower middle for an even count, as nearest-rank p50). */
export function median(values: readonly number[]): number | null {
  return stats(values)?.p50 ?? null;
}

export const round2 = (x: number) => Math.round(x * 100) / 100;
