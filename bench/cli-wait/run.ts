// `killswitch block --wait` at N real SDK clients: the wall time of the command, from its spawn to
// its exit, beside the product's own flip→applied p99 (the receipt's latencyMs.p99: ack time − commit
// time over every instance) of the very version that command committed.
//
//   npx tsx bench/cli-wait/run.ts [--clients 1000] [--processes 4] [--rounds 10] [--minutes 15]
//
// What runs: the real Node host (`src/node/main.ts`) in a child process on a fresh libsql file; the
// tenant of ../lib/bench-tenant.mjs; N clients spread over --processes child processes (the
// end-to-end tests' test/e2e/support/clients-process.ts); then --rounds times: `killswitch block
// model.fable-5 --where 'nationality notIn US' --wait --json` (timed), and `killswitch unblock` of
// the rule it made, also with --wait (timed).
// `killswitch --version` is timed as often, for the start-up alone (Node + tsx + the CLI's modules).
// Loopback only; a deadline kills everything it started.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setupTenant } from "../lib/bench-tenant.mjs";
import { guardChildren } from "../lib/children.mjs";
import { arg, cpuTimes } from "../lib/machine.mjs";
import { stats } from "../lib/stats.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(root, "bin/killswitch.mjs");
const CLIENTS = Number(arg("clients", "1000"));
const PROCESSES = Number(arg("processes", "4"));
const ROUNDS = Number(arg("rounds", "10"));
const MINUTES = Number(arg("minutes", "15"));

const dir = mkdtempSync(join(tmpdir(), "killswitch-cli-bench-"));
const guard = guardChildren({ minutes: MINUTES, cleanup: () => rmSync(dir, { recursive: true, force: true }) });
const track = (child: ChildProcess): ChildProcess => (guard.started.add(child), child);

/** Resolves with the first match of `pattern` in the child's stdout. */
function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  let out = "";
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk;
      const match = pattern.exec(out);
      if (match) resolve(match);
    });
    child.stderr!.on("data", (chunk: Buffer) => (out += chunk));
    child.once("exit", (code) => reject(new Error(`${what} exited (${code}) before it was ready:\n${out}`)));
  });
}

// The server.
const rootToken = randomBytes(24).toString("base64url");
const server = track(
  spawn(process.execPath, ["--import", "tsx", join(root, "src/node/main.ts")], {
    cwd: root,
    env: { ...process.env, HOST: "127.0.0.1", PORT: "0", DATABASE_URL: `file:${join(dir, "killswitch.db")}`, KILLSWITCH_ROOT_TOKEN: rootToken },
    stdio: ["ignore", "pipe", "pipe"],
  }),
);
const url = (await waitForLine(server, /listening on (http:\/\/\S+)/, "the server"))[1]!;
const tenant = await setupTenant({ url, port: Number(new URL(url).port) }, rootToken, "cli-bench");
const keys = tenant.keys as { operator: string; viewer: string; sdk: string };

// The clients.
const perProcess = Array.from({ length: PROCESSES }, (_, i) => Math.floor(CLIENTS / PROCESSES) + (i < CLIENTS % PROCESSES ? 1 : 0));
const fleets = perProcess.map((n) =>
  track(
    spawn(process.execPath, ["--import", "tsx", join(root, "test/e2e/support/clients-process.ts")], {
      cwd: root,
      env: { ...process.env, KILLSWITCH_URL: url, KILLSWITCH_SDK_KEY: keys.sdk, CLIENTS: String(n), CLIENTS_APP: "bench-app", CLIENTS_APPS: "10", CLIENTS_READY_MS: "60000" },
      stdio: ["pipe", "pipe", "pipe"],
    }),
  ),
);
const ready = await Promise.all(fleets.map((f) => waitForLine(f, /\{"ready":(\d+)\}/, "a clients process")));
const readyCount = ready.reduce((sum, m) => sum + Number(m[1]), 0);
const instances = async (): Promise<number> =>
  ((await (await fetch(`${url}/v1/envs/production/instances`, { headers: { authorization: `Bearer ${keys.viewer}` } })).json()) as { total: number }).total;
for (let i = 0; (await instances()) < CLIENTS; i++) {
  if (i > 600) throw new Error(`only ${await instances()} of ${CLIENTS} instances listed after 60 s`);
  await new Promise((r) => setTimeout(r, 100));
}
console.error(`${readyCount} clients ready in ${PROCESSES} processes; ${await instances()} instances listed`);

interface Timed {
  wallMs: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the binary as a script would (pipes, no terminal): wall time from spawn to exit. */
function timedCli(args: string[]): Promise<Timed> {
  const started = performance.now();
  const child = track(
    spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, KILLSWITCH_URL: url, KILLSWITCH_KEY: keys.operator, XDG_CONFIG_HOME: dir },
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c: Buffer) => (stdout += c));
  child.stderr!.on("data", (c: Buffer) => (stderr += c));
  return new Promise((resolve) => child.once("close", (code) => resolve({ wallMs: performance.now() - started, code, stdout, stderr })));
}

interface WaitAnswer {
  version: number;
  ruleId?: string;
  wait: { outcome: string; elapsedMs: number; receipt: { connected: number; acked: number; latencyMs: { p50: number; p99: number; max: number } } };
}

const rows: { round: number; command: string; wallMs: number; waitMs: number; p50: number; p99: number; max: number; acked: string }[] = [];
const startup: number[] = [];
const loadBefore = os.loadavg()[0]!;
const cpuBefore = cpuTimes();
for (let round = 1; round <= ROUNDS; round++) {
  startup.push((await timedCli(["--version"])).wallMs);
  const block = await timedCli(["block", tenant.flag, "--where", "nationality notIn US", "--reason", `bench round ${round}`, "--wait", "--json", "--timeout", "60s"]);
  if (block.code !== 0) throw new Error(`block exited ${block.code}:\n${block.stdout}\n${block.stderr}`);
  const b = JSON.parse(block.stdout) as WaitAnswer;
  const unblock = await timedCli(["unblock", tenant.flag, b.ruleId!, "--reason", `bench round ${round}`, "--wait", "--json", "--timeout", "60s"]);
  if (unblock.code !== 0) throw new Error(`unblock exited ${unblock.code}:\n${unblock.stdout}\n${unblock.stderr}`);
  const u = JSON.parse(unblock.stdout) as WaitAnswer;
  for (const [command, t, a] of [["block", block, b], ["unblock", unblock, u]] as const) {
    const r = a.wait.receipt;
    rows.push({ round, command, wallMs: t.wallMs, waitMs: a.wait.elapsedMs, ...r.latencyMs, acked: `${r.acked}/${r.connected}` });
    console.error(`round ${round} ${command}: wall ${t.wallMs.toFixed(0)} ms, wait ${a.wait.elapsedMs} ms, receipt p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms, ${r.acked}/${r.connected}`);
  }
  await new Promise((r) => setTimeout(r, 500));
}
const cpuAfter = cpuTimes();
const loadAfter = os.loadavg()[0]!;

const blocks = rows.filter((r) => r.command === "block");
const summary = {
  date: new Date().toISOString(),
  machine: `${os.cpus().length} CPUs, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`,
  clients: CLIENTS,
  processes: PROCESSES,
  rounds: ROUNDS,
  loadAverage1m: { before: +loadBefore.toFixed(2), after: +loadAfter.toFixed(2) },
  machineBusyMs: cpuBefore && cpuAfter ? cpuAfter.busy - cpuBefore.busy : null,
  startupMs: stats(startup),
  blockWallMs: stats(blocks.map((r) => r.wallMs)),
  blockWaitMs: stats(blocks.map((r) => r.waitMs)),
  receiptP99Ms: stats(blocks.map((r) => r.p99)),
  receiptMaxMs: stats(blocks.map((r) => r.max)),
  allWritesWallMs: stats(rows.map((r) => r.wallMs)),
  allWritesReceiptP99Ms: stats(rows.map((r) => r.p99)),
  // What the wait adds to the product's own p99 (at most about one read of the receipt), and what the
  // rest of the command costs (start-up, the write's request).
  waitMinusP99Ms: stats(blocks.map((r) => r.waitMs - r.p99)),
  wallMinusP99Ms: stats(blocks.map((r) => r.wallMs - r.p99)),
  medianRatioWallToP99: +(stats(blocks.map((r) => r.wallMs / r.p99)) as { p50: number }).p50.toFixed(1),
  rows,
};
console.log(JSON.stringify(summary, null, 2));

guard.disarm();
for (const f of fleets) f.stdin!.end();
server.kill("SIGTERM");
await Promise.all(fleets.map((f) => new Promise((r) => (f.exitCode === null ? f.once("exit", r) : r(null)))));
await new Promise((r) => (server.exitCode === null ? server.once("exit", r) : r(null)));
rmSync(dir, { recursive: true, force: true });
