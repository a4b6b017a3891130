/** The benchmark's markdown: a table for the terminal and its section of bench/README.md. */
import { readFileSync } from "node:fs";
import os from "node:os";
import type { MeasureResult } from "./measure.js";
import { median, type Stats } from "./stats.js";

export const HEADING = "## Flip → applied on the local Worker";

/** The product's target: flip → applied with 1,000 SDK connections. */
const TARGET_N = 1_000;
const TARGET_P99_MS = 50;

export interface ReportInput {
  command: string;
  date: Date;
  options: { flips: number; warm: number; gapMs: number; rate: number; idleMs: number; receiptTimeoutMs: number; pin: boolean };
  results: MeasureResult[];
  /** Runs discarded because the Worker restarted under them. */
  discarded: number;
}

/** The version of an installed package, from its package.json; "unknown" when it is not installed. */
function installedVersion(name: string): string {
  try {
    const url = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

const int = (x: number) => Math.round(x).toLocaleString("en-US");
const ms = (x: number | null | undefined) => (x === null || x === undefined ? "–" : String(Math.round(x * 10) / 10));
const triple = (s: Stats | null) => (s ? `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)}` : "–");
const perFlip = (r: MeasureResult, x: number | null) => (x === null ? "–" : ms(x / r.flips.length));

export function table(results: MeasureResult[]): string {
  const rounds = roundsOf(results);
  const head = (cells: string[]) => [`| ${cells.join(" | ")} |`, `| ${cells.map(() => "---:").join(" | ")} |`];
  const client = head(["round", "N", "path", "synced / failed (connect s)", "flip → applied p50 / p99 / max (ms)", "per-flip p99, median (ms)", "missing patches", "admin answer p50 / p99 (ms)"]);
  const server = head(["round", "N", "path", "receipt latencyMs p50 (median) / p99 (median) / p99 (worst) / max", "acked / connected", "complete", "CPU ms per flip: Worker's workerd / proxy workerd / load generator", "foreign CPU ms", "load avg before / after"]);
  results.forEach((r, i) => {
    const mark = r.disturbed === null ? "" : " *";
    const rc = r.receipts;
    client.push(
      `| ${rounds[i]}${mark} | ${int(r.n)} | ${r.path} | ${int(r.ready.synced)} / ${int(r.ready.failed)} (${ms(r.ready.ms / 1000)}) | ${triple(r.receive)} | ${ms(r.receiveP99PerFlipMedian)} | ${int(r.missing)} | ${ms(r.answer?.p50)} / ${ms(r.answer?.p99)} |`,
    );
    server.push(
      `| ${rounds[i]}${mark} | ${int(r.n)} | ${r.path} | ${ms(rc.p50Median)} / ${ms(rc.p99Median)} / ${ms(rc.p99Max)} / ${ms(rc.max)} | ${int(rc.acked)} / ${int(rc.connected)} | ${rc.complete} of ${r.flips.length} | ` +
        `${perFlip(r, r.cpu.runtimeWorkerdMs)} / ${perFlip(r, r.cpu.proxyWorkerdMs)} / ${perFlip(r, r.cpu.loadGeneratorMs)} | ${r.cpu.foreignMs === null ? "–" : int(r.cpu.foreignMs)} | ${r.load.before.toFixed(2)} / ${r.load.after.toFixed(2)} |`,
    );
  });
  const notes = results.flatMap((r) => {
    const closed = Object.entries(r.loadGenerator.closes);
    return [
      ...(r.disturbed === null ? [] : [`- \\* N=${int(r.n)}, ${r.path}: ${r.disturbed}.`]),
      ...(closed.length ? [`- N=${int(r.n)}, ${r.path}: sockets closed during the run, by close code: ${closed.map(([code, count]) => `${code} × ${count}`).join(", ")}.`] : []),
      ...(r.receipts.unreadable ? [`- N=${int(r.n)}, ${r.path}: ${r.receipts.unreadable} receipts could not be read.`] : []),
      ...(r.ready.failed ? [`- N=${int(r.n)}, ${r.path}: ${r.ready.failed} connections failed to open${Object.keys(r.ready.refusals).length ? ` (${JSON.stringify(r.ready.refusals)})` : ""}.`] : []),
    ];
  });
  return ["Flip → applied, on the load generator's clock:", "", ...client, "", "The server's receipts, and CPU:", "", ...server, ...(notes.length ? ["", ...notes] : [])].join("\n");
}

/** Round numbers: results come round by round, each round with the same list of N and paths. */
function roundsOf(results: MeasureResult[]): number[] {
  const seen = new Map<string, number>();
  return results.map((r) => {
    const round = (seen.get(`${r.n} ${r.path}`) ?? 0) + 1;
    seen.set(`${r.n} ${r.path}`, round);
    return round;
  });
}

export function section({ command, date, options, results, discarded }: ReportInput): string {
  const cpus = os.cpus();
  return [
    HEADING,
    "",
    "**A local stand-in, not Cloudflare's network.** The Worker host (`src/worker/`: one Durable Object per tenant, hibernatable sockets) runs under `wrangler dev` (workerd) on this one machine, beside the load generator and other engineers' work. `wrangler dev` also puts its own proxy worker, a second workerd process, in front of the Worker: every request and socket frame crosses it (path `proxy`); path `direct` connects straight to the workerd that runs the Worker. The figures show how one tenant object handles N sockets on one machine; they say nothing about latency across Cloudflare's network.",
    "",
    `- Machine: ${os.availableParallelism()} CPUs (\`nproc\`), ${cpus[0]?.model.trim() ?? "unknown CPU"}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, ${os.type()} ${os.release()} ${os.arch()}; wrangler ${installedVersion("wrangler")}, workerd ${installedVersion("@cloudflare/workerd-linux-64")}.`,
    `- Command: \`${command}\` (about 3 minutes).`,
    `- Date: ${date.toISOString()}. Load average (1 min) before / after each run's flips: in the second table.`,
    `- Runs discarded and measured again because \`wrangler dev\` restarted the Worker under them: ${discarded}. It rebuilds whenever a source file it bundles changes (4.86.0 cannot turn that off), and the checkout is shared with engineers editing it.`,
    `- Method: for each N and path, a fresh \`wrangler dev --ip 127.0.0.1\` (\`test/support/wrangler-dev.ts\`), a fresh tenant (\`POST /v1/tenants\` with the root token), an sdk key of \`production\` and one boolean flag. A separate load-generator process (\`clients.mjs\`: the ws floor's lean raw-TCP client) opens N sockets on \`GET /v1/stream\` at ${int(options.rate)}/s with the key in \`Authorization\`, sends \`hello\` (protocol 1), and acks the snapshot and every patch. After ${ms(options.idleMs / 1000)} s idle: ${options.warm} warm-up flips, then ${options.flips} measured ones (\`POST /v1/envs/production/flags/{key}/kill\` and \`/restore\` alternately, the next one ${options.gapMs} ms after each answer). ${options.pin ? "Both workerd processes are pinned to CPU 0 and the load generator to CPU 1 (`taskset`), as the ws floor pins its server and clients; other processes are not pinned." : "Nothing is pinned."}`,
    "- **flip → applied**: per connection and flip, the time its patch arrived in the load generator − the time the benchmark sent the admin request; both clocks are `performance.timeOrigin + performance.now()` on this machine. Pooled over flips × connections; *per-flip p99* is the median over the flips of each flip's own p99. *Missing*: patches that never arrived. *Admin answer*: until the kill or restore answer was read.",
    `- **receipt**: \`GET /v1/envs/production/changes/{version}\` for each measured flip, read after the flips and polled until \`complete\` (at most ${ms(options.receiptTimeoutMs / 1000)} s): its \`latencyMs\` (the object's ack time − its commit time, whole milliseconds of workerd's clock), and \`acked\` / \`connected\` summed over the flips.`,
    "- The load generator's own check: `npx vitest run -c bench/worker-propagation/vitest.config.ts` (against the Node host in-process).",
    "- **CPU ms per flip**: each process's CPU time over the flip phase (warm-up flips and the last second included) ÷ measured flips. *Foreign CPU*: the machine's busy time in that phase that none of our processes used, i.e. other people's work; on 2 cores the phase offers about 2 × its wall time.",
    "",
    table(results),
    "",
    ...reading(results),
    "",
  ].join("\n");
}

/** What the figures say, computed from them: ranges over the rounds. */
function reading(results: MeasureResult[]): string[] {
  const clean = results.filter((r) => r.receive !== null);
  const at = (n: number, path?: string) => clean.filter((r) => r.n === n && (path === undefined || r.path === path));
  const range = (rs: MeasureResult[], f: (r: MeasureResult) => number | null) => {
    const xs = rs.map(f).filter((x): x is number => x !== null);
    if (!xs.length) return "–";
    const [lo, hi] = [Math.min(...xs), Math.max(...xs)];
    return lo === hi ? ms(lo) : `${ms(lo)}–${ms(hi)}`;
  };
  const cpuPerFlip = (r: MeasureResult) => (r.cpu.runtimeWorkerdMs === null ? null : r.cpu.runtimeWorkerdMs / r.flips.length);
  const lines: string[] = [];
  const paths = [...new Set(at(TARGET_N).map((r) => r.path))];
  if (paths.length) {
    const verdicts = paths.map((path) => {
      const p99s = at(TARGET_N, path).map((r) => r.receive!.p99);
      return `${path} ${p99s.map(ms).join(", ")} ms (${p99s.every((x) => x <= TARGET_P99_MS) ? "within" : "over"})`;
    });
    lines.push(
      `**Target: flip → applied p99 ≤ ${TARGET_P99_MS} ms with ${int(TARGET_N)} connections** (set for one 2-core machine). On this stand-in, pooled p99 per run: ${verdicts.join("; ")}. The bare-\`ws\` floor (\`WS_FLOOR_DIR\`, bench/lib/ws-floor.sh) measured a receive p99 of 24–26 ms at 1,000 connections on this machine, with no HTTP request, no database write and no proxy in the path.`,
      "",
    );
  }
  lines.push("Reading it (ranges over the runs):", "");
  const proxy = at(TARGET_N, "proxy");
  const direct = at(TARGET_N, "direct");
  if (proxy.length && direct.length) {
    lines.push(
      `- **wrangler's proxy** (not on Cloudflare), at ${int(TARGET_N)} connections: flip → applied p50 ${range(proxy, (r) => r.receive!.p50)} ms through it against ${range(direct, (r) => r.receive!.p50)} ms direct; its workerd spends ${range(proxy, (r) => (r.cpu.proxyWorkerdMs === null ? null : r.cpu.proxyWorkerdMs / r.flips.length))} ms of CPU per flip, on the same core as the Worker's.`,
    );
  }
  const big = at(TARGET_N).filter((r) => cpuPerFlip(r) !== null);
  if (big.length) {
    const small = clean.filter((r) => r.n < TARGET_N && cpuPerFlip(r) !== null);
    const n0 = small.length ? Math.max(...small.map((r) => r.n)) : 0;
    const base = median(small.filter((r) => r.n === n0).map((r) => cpuPerFlip(r)!)) ?? 0;
    const marginal = range(big, (r) => ((cpuPerFlip(r)! - base) / (r.n - n0)) * 1000);
    lines.push(
      `- **The object's own cost**: the Worker's workerd spends ${range(big, cpuPerFlip)} ms of CPU per flip at ${int(TARGET_N)} connections${n0 ? `, ${marginal} µs per additional socket over N=${int(n0)}` : ""}. Per socket and flip that is one send and one attachment read and write in the broadcast loop, then one hibernation \`webSocketMessage\` event for the ack, with another attachment read and write and a receipt sample. The floor's \`ws\` server spends about 21 µs per socket per flip on the send and the ack read (210 ms per flip at 10,000).`,
      `- **Receipts against receive times**, at ${int(TARGET_N)}: receipt p50 ${range(big, (r) => r.receipts.p50Median)} ms (median of its flips), near the admin answer's p50 (${range(big, (r) => r.answer?.p50 ?? null)} ms) and above the client's flip → applied p50 (${range(big, (r) => r.receive!.p50)} ms). The broadcast is one synchronous loop inside the kill request, and an object runs one event at a time, so it handles the first ack only after the loop has ended (the floor's server likewise reads no ack before its send loop ends). The receipt leaves out the request's way in (it counts from the commit) but includes that wait and the acks' way back.`,
    );
  }
  const intact = clean.length === results.length && clean.every((r) => r.missing === 0 && r.ready.failed === 0 && r.receipts.complete === r.flips.length && r.receipts.acked === r.receipts.connected && r.receipts.connected === r.n * r.flips.length);
  lines.push(
    intact
      ? "- **Nothing lost**: in every run, every connection opened and received every patch, and every receipt was complete with acked = connected = N."
      : "- **Not everything arrived**: see *synced / failed*, *missing patches*, *acked / connected* and the notes under the tables.",
    "- **Noise**: the foreign CPU column is other people's work during the flips; runs with several seconds of it have longer tails. Compare runs, not single figures.",
  );
  return lines;
}
