// Types of stats.mjs, for the TypeScript benches (../cli-wait/run.ts).
export type Stats = { count: 0 } | { count: number; min: number; p50: number; p90: number; p99: number; max: number };
export function stats(a: number[]): Stats;
