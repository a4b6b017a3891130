/**
 * Another process holds the database's write lock: what the service's answers
 * cost meanwhile.
 *
 *   npx tsx bench/db-lock/run.ts [--hold 10] [--main src/node/main.ts]
 *
 * Starts `npm start`'s entry (src/node/main.ts, or another checkout's with
 * --main) in a child process on a fresh database file and sets a tenant up
 * through the API. Then the same traffic runs twice for --hold seconds, first
 * with nothing held, then while a second process holds `BEGIN IMMEDIATE` with a
 * change in progress: /healthz one request at a time every 20 ms (its latency
 * is the time the server's event loop takes to get to it), a snapshot read every
 * 100 ms, an OFREP call with a never-used sdk key every 500 ms (its lastUsedAt
 * is a write), and 4 writers alternating kill and restore. Prints markdown,
 * with the server's own event-loop delay and CPU time
 * (bench/db-lock/loop-monitor.mjs, preloaded into it).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, totalmem, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { holdWriteLock } from "../../test/support/lock-holder.js";

const { values } = parseArgs({
  options: {
    hold: { type: "string", default: "10" },
    main: { type: "string", default: fileURLToPath(new URL("../../src/node/main.ts", import.meta.url)) },
  },
});
const HOLD_MS = Number(values.hold) * 1000;
const MAIN = resolve(values.main);
const ROOT_TOKEN = "bench-root-token-0123456789abcdef";
const FLAG = "model.fable-5";

const dir = mkdtempSync(join(tmpdir(), "killswitch-bench-lock-"));
const file = join(dir, "killswitch.db");
const children: ChildProcess[] = [];
const cleanup = (): void => {
  for (const child of children) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
};
process.on("exit", cleanup);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank percentile of sorted samples. */
const q = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
const summary = (samples: number[]): string => {
  const s = [...samples].sort((a, b) => a - b);
  return s.length === 0 ? "| 0 | | | |" : `| ${s.length} | ${q(s, 0.5).toFixed(1)} | ${q(s, 0.99).toFixed(1)} | ${s.at(-1)!.toFixed(1)} |`;
};

let server: ChildProcess;

interface LoopStats {
  p50: number;
  p99: number;
  max: number;
  cpuMs: number;
}

/** The server's own event-loop delay and CPU time since the last call. */
function serverStats(): Promise<LoopStats> {
  return new Promise((r) => {
    server.once("message", (m) => r(m as LoopStats));
    server.send("stats");
  });
}

function startServer(): Promise<string> {
  const monitor = fileURLToPath(new URL("./loop-monitor.mjs", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", "--import", monitor, MAIN], {
    cwd: resolve(MAIN, "../../.."),
    env: { ...process.env, HOST: "127.0.0.1", PORT: "0", DATABASE_URL: `file:${file}`, KILLSWITCH_ROOT_TOKEN: ROOT_TOKEN },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  server = child;
  children.push(child);
  let output = "";
  child.stderr!.on("data", (d) => process.stderr.write(`server: ${d}`));
  return new Promise((resolveUrl, reject) => {
    child.stdout!.on("data", (d) => {
      output += d;
      const url = /listening on (\S+)/.exec(output)?.[1];
      if (url) resolveUrl(url);
    });
    child.once("exit", (code) => reject(new Error(`the server exited (${code}):\n${output}`)));
  });
}

const url = await startServer();

async function call(method: string, path: string, key?: string, body?: unknown): Promise<{ status: number; ms: number; body: any }> {
  const t0 = performance.now();
  try {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body ? { "content-type": "application/json" } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, ms: performance.now() - t0, body: text && /json/.test(res.headers.get("content-type") ?? "") ? JSON.parse(text) : text };
  } catch (error) {
    // A connection the server reset (status 0 in the summary).
    return { status: 0, ms: performance.now() - t0, body: String(error) };
  }
}

const admin: string = (await call("POST", "/v1/tenants", ROOT_TOKEN, { name: "bench" })).body.adminKey;
await call("POST", "/v1/flags", admin, { key: FLAG, kind: "boolean" });
const writerFlags = ["w0", "w1", "w2", "w3"];
for (const key of writerFlags) await call("POST", "/v1/flags", admin, { key, kind: "boolean" });
/** Never-used sdk keys: one per OFREP call of a phase, two phases. */
const sdkKeys: string[] = [];
for (let i = 0; i < 2 * Math.ceil(HOLD_MS / 500); i++) {
  sdkKeys.push((await call("POST", "/v1/keys", admin, { name: `sdk ${i}`, role: "sdk", env: "production" })).body.secret);
}

interface Sample {
  status: number;
  ms: number;
}

interface Phase {
  health: Sample[];
  snapshots: Sample[];
  ofrep: Sample[];
  writes: Sample[];
  loop: LoopStats;
}

/**
 * HOLD_MS of traffic: /healthz one at a time every 20 ms, a snapshot read every
 * 100 ms, an OFREP call with a never-used key every 500 ms, 4 writers
 * alternating kill and restore. Resolves once every request has been answered;
 * `loop` covers the HOLD_MS only.
 */
async function phase(): Promise<Phase> {
  const p: Omit<Phase, "loop"> = { health: [], snapshots: [], ofrep: [], writes: [] };
  let running = true;
  const every = async (ms: number, into: Sample[], request: () => Promise<Sample>) => {
    while (running) {
      into.push(await request());
      await sleep(ms);
    }
  };
  await serverStats();
  const all = Promise.all([
    every(20, p.health, () => call("GET", "/healthz")),
    every(100, p.snapshots, () => call("GET", "/v1/envs/production/snapshot", admin)),
    every(500, p.ofrep, () => call("POST", `/ofrep/v1/evaluate/flags/${FLAG}`, sdkKeys.pop(), { context: { targetingKey: "u1" } })),
    ...writerFlags.map((flag, w) =>
      every(0, p.writes, () => call("POST", `/v1/envs/production/flags/${flag}/${(p.writes.length + w) % 2 ? "restore" : "kill"}`, admin, { reason: "bench" })),
    ),
  ]);
  await sleep(HOLD_MS);
  running = false;
  const loop = await serverStats();
  await all;
  return { ...p, loop };
}

for (let i = 0; i < 50; i++) await call("GET", "/healthz"); // warm-up
const free = await phase();
const holder = await holdWriteLock(file);
const held = phase();
await sleep(HOLD_MS);
// Writes still waiting for the lock get it now; the phase ends when they are answered.
await holder.release();
const locked = await held;
const after = await call("POST", `/v1/envs/production/flags/${FLAG}/kill`, admin, { reason: "after the hold" });
await sleep(1500); // lastUsedAt is written in a batch a moment after the use
const used = (await call("GET", "/v1/keys?limit=500", admin)).body.items.filter(
  (k: { role: string; lastUsedAt: string | null }) => k.role === "sdk" && k.lastUsedAt !== null,
).length;

const statuses = (rows: { status: number }[]): string =>
  Object.entries(rows.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {}))
    .map(([status, n]) => `${n} × ${status}`)
    .join(", ");

console.log(`- Machine: ${cpus().length} CPUs (\`nproc\`), ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, ${process.platform} ${process.arch}`);
const otherMain = process.argv.includes("--main");
console.log(`- Command: \`npx tsx bench/db-lock/run.ts --hold ${HOLD_MS / 1000}${otherMain ? " --main <checkout>/src/node/main.ts" : ""}\``);
console.log(`- Date: ${new Date().toISOString()}; load average (1 min) at the end: ${loadavg()[0]!.toFixed(2)}`);
console.log("");
console.log("| requests | count | p50 ms | p99 ms | max ms |");
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const [name, p] of [["nothing held", free], [`lock held ${HOLD_MS / 1000} s`, locked]] as const) {
  console.log(`| /healthz, ${name} ${summary(p.health.map((r) => r.ms))}`);
  console.log(`| snapshot reads, ${name} ${summary(p.snapshots.map((r) => r.ms))}`);
  console.log(`| OFREP (a never-used sdk key each), ${name} ${summary(p.ofrep.map((r) => r.ms))}`);
  console.log(`| kill/restore (4 writers), ${name} ${summary(p.writes.map((r) => r.ms))}`);
}
console.log("");
const loop = (l: LoopStats): string => `p50 ${l.p50} ms, p99 ${l.p99} ms, max ${l.max} ms; CPU ${l.cpuMs} ms`;
console.log(`- The server's own event-loop delay (monitorEventLoopDelay, 5 ms resolution) and CPU time over each ${HOLD_MS / 1000} s: nothing held ${loop(free.loop)}; lock held ${loop(locked.loop)}.`);
console.log(`- Answers with the lock held: /healthz ${statuses(locked.health)}; snapshots ${statuses(locked.snapshots)}; OFREP ${statuses(locked.ofrep)}; writes ${statuses(locked.writes)}.`);
console.log(`- After the release: a write answered ${after.status}; ${used} of ${free.ofrep.length + locked.ofrep.length} OFREP keys have lastUsedAt 1.5 s later.`);
process.exit(0);
