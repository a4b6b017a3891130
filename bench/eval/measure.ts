/** Timing: warm-up, calibrated rounds, median of rounds. */
import { performance } from "node:perf_hooks";
import type { Subject } from "./subject.js";

export interface Prepared<C = unknown> {
  subject: Subject<C>;
  contexts: C[];
  /** How many contexts the reference turns on: every timed pass must count the same. */
  expectedOn: number;
  /** Passes over all contexts per round, set by calibrate(). */
  passes: number;
  /** Evaluations per second, one entry per round. */
  rates: number[];
}

/** Runs `passes` passes and returns the elapsed milliseconds; checks every pass's answer. */
async function timePasses(p: Prepared, passes: number): Promise<number> {
  const start = performance.now();
  let on = 0;
  for (let i = 0; i < passes; i++) on += await p.subject.runAll(p.contexts);
  const elapsed = performance.now() - start;
  // Using the count keeps the work observable, and a changed answer mid-run fails loudly.
  if (on !== p.expectedOn * passes) {
    throw new Error(`${p.subject.name}: ${on} evaluations on over ${passes} passes, expected ${p.expectedOn * passes}`);
  }
  return elapsed;
}

/** Runs passes for at least `warmupMs` (JIT tiers up), then sets `passes` so a round lasts about `roundMs`. */
export async function calibrate(p: Prepared, warmupMs: number, roundMs: number): Promise<void> {
  let passes = 0;
  let elapsed = 0;
  while (elapsed < warmupMs) {
    elapsed += await timePasses(p, 1);
    passes++;
  }
  p.passes = Math.max(1, Math.round((roundMs * passes) / elapsed));
}

/** One timed round for one subject; records its rate. */
export async function runRound(p: Prepared): Promise<void> {
  const elapsed = await timePasses(p, p.passes);
  p.rates.push((p.passes * p.contexts.length * 1000) / elapsed);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Collects garbage between subjects when node runs with --expose-gc, so one SDK's garbage is not billed to the next. */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
