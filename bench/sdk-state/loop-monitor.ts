/**
 * How long the host's loop is held: a timer re-armed at once records the gap between
 * two of its turns. The longest gap is the longest stall (plus the timer's own 1 ms).
 */
import { performance } from "node:perf_hooks";

export interface LoopStalls {
  /** The longest gap between two turns, ms. */
  longestMs: number;
  /** Gaps over 100 ms. */
  over100: number;
}

export function monitorLoop(): { stop(): LoopStalls } {
  let last = performance.now();
  let longestMs = 0;
  let over100 = 0;
  let timer: ReturnType<typeof setTimeout>;
  const tick = () => {
    const now = performance.now();
    const gap = now - last;
    longestMs = Math.max(longestMs, gap);
    if (gap > 100) {
      over100++;
      if (process.env.BENCH_DEBUG) console.error(`stall ${gap.toFixed(0)} ms ending at ${now.toFixed(0)}`);
    }
    last = now;
    timer = setTimeout(tick, 0);
  };
  timer = setTimeout(tick, 0);
  return {
    stop() {
      clearTimeout(timer);
      tick();
      clearTimeout(timer);
      return { longestMs, over100 };
    },
  };
}
