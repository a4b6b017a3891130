/**
 * Kill latency with webhooks: does a tenant's webhook traffic slow its writes?
 *
 *   npx tsx bench/webhooks/run.ts [--writes 300] [--rounds 5]
 *
 * Starts the Node host (../lib/node-server.ts) and a receiver process
 * (receiver.ts), each in its own process, and three tenants on one server: one
 * without webhooks, one with 10 endpoints that answer at once, one with 10
 * endpoints that hold every delivery for 30 s (the dispatcher gives up on each
 * after 10 s and retries). One client per tenant, waiting for each answer, alternates kill
 * and restore on its flag; the tenants take turns, `--writes` writes each per
 * round, for `--rounds` rounds, so that all three meet the same machine noise.
 * Prints p50/p99 per tenant and the ratios to the tenant without webhooks.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { apiCall, forkNodeServer } from "../lib/node-server.js";

const { values } = parseArgs({ options: { writes: { type: "string", default: "300" }, rounds: { type: "string", default: "5" } } });
const WRITES = Number(values.writes);
const ROUNDS = Number(values.rounds);
const ENDPOINTS = 10;

const dir = mkdtempSync(join(tmpdir(), "killswitch-bench-webhooks-"));
const children: ChildProcess[] = [];
process.on("exit", () => {
  for (const child of children) child.kill();
  rmSync(dir, { recursive: true, force: true });
});

function start<T>(file: string, args: string[]): Promise<{ child: ChildProcess; first: T }> {
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), args, { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once("message", (first) => resolve({ child, first: first as T }));
    child.once("exit", (code) => reject(new Error(`${file} exited with ${code}`)));
  });
}

const rootToken = "bench-root-token";
const server = await forkNodeServer(`file:${join(dir, "bench.db")}`, rootToken, { webhooksToLoopback: true });
children.push(server.child);
const { child: receiver, first: receiverPort } = await start<{ port: number }>("./receiver.ts", []);
const call = apiCall(server.url);

interface Subject {
  name: string;
  key: string;
  latencies: number[];
  writes: number;
}

async function subject(name: string, receiverPath: string | null): Promise<Subject> {
  const { adminKey } = await call<{ adminKey: string }>("POST", "/v1/tenants", rootToken, { name });
  await call("POST", "/v1/flags", adminKey, { key: "model.bench", kind: "boolean" });
  if (receiverPath !== null) {
    for (let i = 0; i < ENDPOINTS; i++) {
      await call("POST", "/v1/webhooks", adminKey, {
        url: `http://127.0.0.1:${receiverPort.port}/${receiverPath}/${i}`,
        events: ["change.committed"],
      });
    }
  }
  return { name, key: adminKey, latencies: [], writes: 0 };
}

const subjects = [
  await subject("no webhooks", null),
  await subject(`${ENDPOINTS} endpoints answering at once`, "fast"),
  await subject(`${ENDPOINTS} endpoints holding each delivery 30 s`, "slow"),
];

async function writes(s: Subject, count: number, record: boolean): Promise<void> {
  for (let i = 0; i < count; i++) {
    const action = s.writes++ % 2 === 0 ? "kill" : "restore";
    const t0 = performance.now();
    await call("POST", `/v1/envs/production/flags/model.bench/${action}`, s.key, { reason: "bench" });
    if (record) s.latencies.push(performance.now() - t0);
  }
}

for (const s of subjects) await writes(s, 50, false); // warm-up
const loadBefore = loadavg()[0]!;
for (let round = 0; round < ROUNDS; round++) {
  // Rotated, so that no tenant always runs right after another.
  for (let k = 0; k < subjects.length; k++) await writes(subjects[(round + k) % subjects.length]!, WRITES, true);
}
const loadAfter = loadavg()[0]!;
receiver.send("count");
const { received } = await new Promise<{ received: number }>((resolve) => receiver.once("message", (m) => resolve(m as { received: number })));

const q = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const rows = subjects.map((s) => {
  const sorted = [...s.latencies].sort((a, b) => a - b);
  return { name: s.name, n: sorted.length, p50: q(sorted, 0.5), p99: q(sorted, 0.99), max: sorted.at(-1)! };
});
const base = rows[0]!;
console.log(`Machine: ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), Node ${process.version}; load average ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)}`);
console.log(`Command: npx tsx bench/webhooks/run.ts --writes ${WRITES} --rounds ${ROUNDS}; ${new Date().toISOString()}`);
console.log(`Deliveries received during the run: ${received}`);
console.log("");
console.log("| tenant | kills and restores | p50 ms | p99 ms | max ms | p50 ÷ none | p99 ÷ none |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of rows) {
  console.log(`| ${r.name} | ${r.n} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.max.toFixed(2)} | ${(r.p50 / base.p50).toFixed(2)} | ${(r.p99 / base.p99).toFixed(2)} |`);
}
for (const child of children) child.send("stop");
setTimeout(() => process.exit(0), 3_000).unref();
