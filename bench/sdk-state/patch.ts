/**
 * One-flag and one-segment patches applied by the real client (`createClient`, the Node
 * entry), timed from the frame's arrival on the socket to the `change` event that follows
 * its application: parse, checks, recompilation, ack, staleness limits, event. The
 * stream is in memory (stub-socket.ts) and the client has no cache.
 */
import { performance } from "node:perf_hooks";
import type { ClientOptions, KillswitchClient } from "@killswitch/sdk";
import { SEGMENTS, patchText, snapshotText } from "./fixture.js";
import { benchStream } from "./stub-socket.js";

export type CreateClient = (options: ClientOptions) => KillswitchClient;

/** Milliseconds: `wall` from the frame to the event, `cpu` the process's CPU time over the same span. */
export interface PatchTiming {
  flags: number;
  change: "one flag" | "one segment";
  patches: number;
  wall: { p50: number; p99: number; max: number };
  cpu: { p50: number; p99: number; max: number };
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

const summary = (times: number[]) => {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted.at(-1)! };
};

/** Applies `warmup + patches` patches of each kind to a client holding `n` flags. */
export async function timePatches(createClient: CreateClient, n: number, patches: number, warmup: number): Promise<PatchTiming[]> {
  const stream = benchStream();
  const client = createClient({ url: "http://bench.invalid", sdkKey: "ks_benchbench_key", WebSocket: stream.WebSocket, fetch: () => new Promise<Response>(() => {}) });
  let applied: () => void = () => {};
  client.on("change", () => applied());
  await stream.opened;
  stream.deliver(snapshotText(n));
  if ((await client.ready({ timeoutMs: 600_000 })) !== "ready") throw new Error("the snapshot was not applied");
  let v = client.version;
  const results: PatchTiming[] = [];
  for (const change of ["one flag", "one segment"] as const) {
    const wall: number[] = [];
    const cpu: number[] = [];
    if (process.env.BENCH_DEBUG) console.error("PHASE", change, "start", performance.now() | 0);
    for (let i = 0; i < warmup + patches; i++) {
      if (i === warmup) (globalThis as { gc?: () => void }).gc?.();
      v++;
      // A different flag (or segment) each time, spread over the whole state.
      const text = patchText(v, change === "one flag" ? { flag: (i * 7_919) % n } : { segment: i % SEGMENTS });
      const done = new Promise<void>((r) => (applied = r));
      const cpu0 = process.cpuUsage();
      const start = performance.now();
      stream.deliver(text);
      await done;
      const end = performance.now();
      const used = process.cpuUsage(cpu0);
      if (i >= warmup) {
        wall.push(end - start);
        cpu.push((used.user + used.system) / 1_000);
      }
    }
    if (client.version !== v) throw new Error(`the client is at ${client.version}, not ${v}`);
    results.push({ flags: n, change, patches, wall: summary(wall), cpu: summary(cpu) });
  }
  await client.close();
  return results;
}
