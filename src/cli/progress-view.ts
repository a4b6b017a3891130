/**
 * What --wait shows while it follows a change, on stderr: on a terminal a live
 * bar (cli-progress) of applied/connected with p99 and elapsed time; elsewhere one
 * plain line a second, which a log keeps readably. Both on stderr, so stdout stays
 * the result (pure JSON with --json).
 */
import { Presets, SingleBar } from "cli-progress";
import { formatDuration } from "./durations.js";
import type { Receipt } from "./follow-change.js";
import type { Terminal } from "./terminal.js";

export interface ProgressView {
  update(receipt: Receipt, elapsedMs: number): void;
  /** Leaves the last frame (or line) on screen. */
  stop(): void;
}

const p99 = (receipt: Receipt): string => (receipt.latencyMs.p99 === null ? "–" : `${Math.round(receipt.latencyMs.p99)} ms`);

/** `v4 production: 37/50 applied, p99 12 ms, 13 pending, 2.0 s`. */
export function progressLine(env: string, receipt: Receipt, elapsedMs: number): string {
  return `v${receipt.version} ${env}: ${receipt.acked}/${receipt.connected} applied, p99 ${p99(receipt)}, ${receipt.pending.length} pending, ${formatDuration(elapsedMs)}`;
}

export function progressView(term: Terminal, env: string): ProgressView {
  return term.stderrTTY ? barView(env) : lineView(term, env);
}

function barView(env: string): ProgressView {
  const bar = new SingleBar(
    {
    format: `v{version} ${env} {bar} {value}/{total} applied | p99 {p99} | {elapsed}`,
    stream: process.stderr,
    barsize: 30,
    hideCursor: true,
    clearOnComplete: false,
    stopOnComplete: false,
    // Redraws come from update(); no timer of its own.
    noTTYOutput: false,
    fps: 10,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(receipt, elapsedMs) {
      const payload = { version: receipt.version, p99: p99(receipt), elapsed: formatDuration(elapsedMs) };
      if (!started) {
        bar.start(receipt.connected, receipt.acked, payload);
        started = true;
      } else {
        bar.setTotal(receipt.connected);
        bar.update(receipt.acked, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function lineView(term: Terminal, env: string): ProgressView {
  let lastSecond = -1;
  let last: { receipt: Receipt; elapsedMs: number } | undefined;
  let printed: Receipt | undefined;
  return {
    update(receipt, elapsedMs) {
      last = { receipt, elapsedMs };
      const second = Math.floor(elapsedMs / 1000);
      if (second > lastSecond) {
        lastSecond = second;
        printed = receipt;
        term.note(progressLine(env, receipt, elapsedMs));
      }
    },
    stop() {
      // The final state, unless the line for it is already out.
      if (last && last.receipt !== printed) term.note(progressLine(env, last.receipt, last.elapsedMs));
    },
  };
}
