/**
 * What --wait shows while it follows a change, on stderr: on a terminal a live
 * bar (cli-progress) of applied/connected with p99 and elapsed time; elsewhere one
 * plain line a second, which a log keeps readably. Both on stderr, so stdout stays
 * the result (pure JSON with --json).
 */
import { Presets, SingleBar } from "cli-progress";
import { formatDuration } from "./durations.js";
import type { Progress } from "./follow-change.js";
import type { Terminal } from "./terminal.js";

export interface ProgressView {
  update(progress: Progress, elapsedMs: number): void;
  /** Leaves the last frame (or line) on screen. */
  stop(): void;
}

const p99 = (progress: Progress): string => (progress.p99 === null ? "–" : `${Math.round(progress.p99)} ms`);

/** `v4 production: 37/50 applied, p99 12 ms, 13 pending, 2.0 s`. */
export function progressLine(env: string, progress: Progress, elapsedMs: number): string {
  return `v${progress.version} ${env}: ${progress.acked}/${progress.connected} applied, p99 ${p99(progress)}, ${progress.pending} pending, ${formatDuration(elapsedMs)}`;
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
    update(progress, elapsedMs) {
      const payload = { version: progress.version, p99: p99(progress), elapsed: formatDuration(elapsedMs) };
      if (!started) {
        bar.start(progress.connected, progress.acked, payload);
        started = true;
      } else {
        bar.setTotal(progress.connected);
        bar.update(progress.acked, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function lineView(term: Terminal, env: string): ProgressView {
  let lastSecond = -1;
  let last: { progress: Progress; elapsedMs: number } | undefined;
  let printed: Progress | undefined;
  return {
    update(progress, elapsedMs) {
      last = { progress, elapsedMs };
      const second = Math.floor(elapsedMs / 1000);
      if (second > lastSecond) {
        lastSecond = second;
        printed = progress;
        term.note(progressLine(env, progress, elapsedMs));
      }
    },
    stop() {
      // The final state, unless the line for it is already out.
      if (last && last.progress !== printed) term.note(progressLine(env, last.progress, last.elapsedMs));
    },
  };
}
