// Summaries of the propagation benches' samples, with the same definitions as the bare-ws floor's
// clients.mjs: nearest-rank percentiles, 2 decimals; {count: 0} when there is no sample.
export function stats(a) {
  if (!a.length) return { count: 0 };
  const s = Float64Array.from(a).sort();
  const q = (p) => +s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)].toFixed(2);
  return { count: s.length, min: +s[0].toFixed(2), p50: q(0.5), p90: q(0.9), p99: q(0.99), max: +s[s.length - 1].toFixed(2) };
}
