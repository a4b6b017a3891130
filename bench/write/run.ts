/**
 * Write-path benchmark: kill/restore round trips through HTTP and the database.
 *
 *   npx tsx bench/write/run.ts [--requests 2000] [--concurrency 1,8,32]
 *
 * Starts the Node host in a child process on a fresh database file (WAL, the
 * default synchronous=FULL), then for each concurrency level runs that many
 * clients, each alternating kill and restore on its own flag, and prints p50/p99
 * latency and writes/s. Two layouts per level: all clients in one tenant (their
 * writes serialize on the tenant's audit chain) and one tenant per client.
 *
 * First it measures the disk's floor: a bare libsql commit of one row, on the same
 * file system with the same pragmas. Every write pays one such commit (fsync).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, totalmem, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createClient } from "@libsql/client";
import { apiCall, forkNodeServer } from "../lib/node-server.js";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "1,8,32" },
    warmup: { type: "string", default: "200" },
  },
});
const REQUESTS = Number(values.requests);
const LEVELS = values.concurrency.split(",").map(Number);
const WARMUP = Number(values.warmup);

const dir = mkdtempSync(join(tmpdir(), "killswitch-bench-"));

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** One-row commits on a bare libsql file: the fsync every write pays. */
async function commitFloor(count: number): Promise<number[]> {
  const client = createClient({ url: `file:${join(dir, "floor.db")}` });
  await client.execute("PRAGMA journal_mode = WAL");
  await client.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await client.batch([{ sql: "INSERT INTO t (v) VALUES (?)", args: ["x".repeat(500)] }]);
    latencies.push(performance.now() - t0);
  }
  client.close();
  return latencies.sort((a, b) => a - b);
}
const floor = await commitFloor(Math.min(REQUESTS, 1000));
const floorRow = `| floor: bare libsql one-row commit | ${floor.length} | ${quantile(floor, 0.5).toFixed(2)} | ${quantile(floor, 0.99).toFixed(2)} | ${floor.at(-1)!.toFixed(2)} | ${Math.round(1000 / (floor.reduce((a, b) => a + b, 0) / floor.length))} |`;
console.error(floorRow);
const rootToken = "bench-root-token";
const server = await forkNodeServer(`file:${join(dir, "bench.db")}`, rootToken);
const call = apiCall(server.url);

async function tenant(name: string): Promise<string> {
  return (await call<{ adminKey: string }>("POST", "/v1/tenants", rootToken, { name })).adminKey;
}

interface Client {
  key: string;
  flag: string;
}

async function clients(count: number, tenants: "one" | "each", run: number): Promise<Client[]> {
  const shared = tenants === "one" ? await tenant(`bench-${run}`) : undefined;
  const out: Client[] = [];
  for (let i = 0; i < count; i++) {
    const key = shared ?? (await tenant(`bench-${run}-${i}`));
    const flag = `model.bench-${i}`;
    await call("POST", "/v1/flags", key, { key: flag, kind: "boolean" });
    out.push({ key, flag });
  }
  return out;
}

interface Result {
  latencies: number[];
  seconds: number;
}

/** `total` round trips shared by the clients, each alternating kill and restore. */
async function drive(all: Client[], total: number): Promise<Result> {
  const latencies: number[] = [];
  let issued = 0;
  const started = performance.now();
  await Promise.all(
    all.map(async ({ key, flag }) => {
      for (let n = 0; issued < total; n++) {
        issued++;
        const action = n % 2 === 0 ? "kill" : "restore";
        const t0 = performance.now();
        await call("POST", `/v1/envs/production/flags/${flag}/${action}`, key, { reason: "benchmark" });
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

const loadBefore = loadavg()[0]!;
const rows: string[] = [];
let run = 0;
for (const concurrency of LEVELS) {
  for (const tenants of concurrency === 1 ? (["one"] as const) : (["one", "each"] as const)) {
    const all = await clients(concurrency, tenants, run++);
    await drive(all, WARMUP);
    const { latencies, seconds } = await drive(all, REQUESTS);
    latencies.sort((a, b) => a - b);
    const layout = concurrency === 1 ? "1 tenant" : tenants === "one" ? "1 tenant" : `${concurrency} tenants`;
    rows.push(
      `| ${concurrency} client${concurrency === 1 ? "" : "s"}, ${layout} | ${latencies.length} | ${quantile(latencies, 0.5).toFixed(2)} | ${quantile(latencies, 0.99).toFixed(2)} | ${latencies.at(-1)!.toFixed(2)} | ${Math.round(latencies.length / seconds)} |`,
    );
    console.error(rows.at(-1));
  }
}

console.log(`- Machine: ${cpus().length} CPUs, ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, ${process.platform} ${process.arch}`);
console.log(`- Command: npx tsx bench/write/run.ts --requests ${REQUESTS} --concurrency ${LEVELS.join(",")}`);
console.log(`- Date: ${new Date().toISOString()}`);
console.log(`- Load average (1 min) before / after: ${loadBefore.toFixed(2)} / ${loadavg()[0]!.toFixed(2)}`);
console.log("");
console.log("| kill/restore round trips | writes | p50 ms | p99 ms | max ms | writes/s |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const row of rows) console.log(row);
console.log(floorRow);

await server.stop();
rmSync(dir, { recursive: true, force: true });
