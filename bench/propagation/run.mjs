// Orchestrates the product's propagation benchmark: bundles server.ts once (esbuild, so the
// server runs on plain node like the floor, without a loader thread), then for each N a fresh
// server and clients.mjs.
//   node run.mjs [--ns 1000,10000] [--no-pin] [--flips 20] [--warm 2] [--gap 500] [--rate 2000] [--idle 3000]
//                [--server hub|real]
// --server hub (default): server.ts, the hub over an in-memory source, flipped by POST /flip.
// --server real: real-server.ts, the real Node host (startServer + nodeStreamHost, libsql file),
// flipped by the operator's kill/restore, with receipts (see real-target.mjs).
// Use run.sh (raises the fd limit, runs the floor beside it). Loopback only; hard deadline 9 min;
// kills what it started. Prints a markdown table; the full JSON goes to bench/results/ (git-ignored)
// and its path is the last line on stdout.
import { fork, spawn, execSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { guardChildren } from '../lib/children.mjs';
import { arg, pinning } from '../lib/machine.mjs';
import { bundleServer, here, resultsDir, serverMode } from './start-up.mjs';

const ns = arg('ns', '1000,10000').split(',').map(Number);
const mode = serverMode();
const pin = pinning();
const pass = ['flips', 'gap', 'rate', 'idle', 'warm'].flatMap((k) => (arg(k) ? [`--${k}`, arg(k)] : []));
const { started, killAll, disarm } = guardChildren({ minutes: 9 });

const serverFile = await bundleServer(mode);

// Extra node flags for the server, for diagnosis only (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
const serverArgs = ['--expose-gc', ...(process.env.PROPAGATION_SERVER_ARGS?.split(' ').filter(Boolean) ?? [])];

function startServer() {
  // Server pinned to CPU 0 (its own core, as on a dedicated box); load generator on CPU 1.
  const srv = pin
    ? fork(serverFile, [], { execPath: 'taskset', execArgv: ['-c', '0', process.execPath, ...serverArgs] })
    : fork(serverFile, [], { execArgv: serverArgs });
  started.add(srv);
  return new Promise((res, rej) => {
    // real: the message also carries the API port, keys and measurement port (real-server.ts).
    srv.once('message', (m) => res({ srv, port: m.controlPort ?? m.port, real: m.controlPort ? m : null }));
    srv.once('exit', (c) => rej(new Error(`server exited ${c}`)));
  });
}

function runClients(port, n, real) {
  const args = [`${here}clients.mjs`, '--port', String(port), '--n', String(n), ...pass, ...(pin ? ['--cpus', '1'] : [])];
  const env = real ? { ...process.env, PROPAGATION_REAL: JSON.stringify(real) } : process.env;
  const c = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
  started.add(c);
  let out = '';
  c.stdout.on('data', (d) => { out += d; });
  return new Promise((res, rej) => c.on('exit', (code) => {
    code === 0 ? res(JSON.parse(out.trim().split('\n').pop())) : rej(new Error(`clients exited ${code}`));
  }));
}

const sh = (c) => { try { return execSync(c, { encoding: 'utf8' }).trim(); } catch { return '?'; } };
const machine = {
  nproc: sh('nproc'), cpu: os.cpus()[0]?.model, memTotalGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
  node: process.version, ulimitN: sh('ulimit -n'), loadavg: os.loadavg().map((x) => +x.toFixed(2)), pinned: pin,
};
console.error(`# product (${mode}): machine ${JSON.stringify(machine)}`);

const results = [];
try {
  for (const n of ns) {
    const { srv, port, real } = await startServer();
    console.error(`# product (${mode}) N=${n}: server pid ${srv.pid} port ${real?.port ?? port}`);
    try { results.push(await runClients(port, n, real)); }
    finally { srv.kill('SIGTERM'); await new Promise((r) => (srv.exitCode !== null ? r() : srv.once('exit', r))); }
  }
} catch (e) { console.error(e); killAll(); process.exit(1); }
disarm();

const f = (s) => `${s.p50} / ${s.p99} / ${s.max}`;
const lines = ['| N | receive p50 / p99 / max (ms) | per-flip receive p99: median / worst | ack p50 / p99 / max (ms) | per-flip ack p99: median / worst | send loop p50 / max (ms) | missing recv/ack | RSS B/conn idle | heap B/conn idle | RSS B/conn after flips |',
  '|---|---|---|---|---|---|---|---|---|---|'];
for (const r of results) {
  const s = r.product;
  lines.push(`| ${r.n} | ${f(s.receive)} | ${s.receiveP99PerFlip.p50} / ${s.receiveP99PerFlip.max} | ${f(s.ack)} | ${s.ackP99PerFlip.p50} / ${s.ackP99PerFlip.max} | ${s.serverSendLoop.p50} / ${s.serverSendLoop.max} | ${s.receiveMissing}/${s.ackMissing} | ${r.memory.bytesPerConn.rss} | ${r.memory.bytesPerConn.heapUsed} | ${r.memory.bytesPerConn.rssAfterFlips} |`);
}
console.log(lines.join('\n'));
for (const r of results.filter((x) => x.real)) {
  const x = r.real;
  console.log(`N=${r.n} real: patch ${r.patchBytes} B; kill request -> publish p50/max ${x.commitLagMs.p50}/${x.commitLagMs.max} ms (libsql commit p50/max ${x.commitMs.p50}/${x.commitMs.max}); kill response p50/max ${x.killResponseMs.p50}/${x.killResponseMs.max}; receipt latencyMs pooled p50/p99/max ${x.receiptPooled.p50}/${x.receiptPooled.p99}/${x.receiptPooled.max}, per-flip p99 median/max ${x.receiptP99PerFlip.p50}/${x.receiptP99PerFlip.max}; incomplete receipts at gap/final ${x.incompleteAtGap}/${x.incompleteReceipts}; RssAnon B/conn idle ${r.memory.bytesPerConn.rssAnon}; load ${r.loadavgAtFlips}; db ${JSON.stringify(x.setup)}`);
}
for (const r of results) console.log(`N=${r.n}: synced ${r.connect.synced} (failed ${r.connect.failed}) in ${r.connect.ms.toFixed(0)} ms; patch ${r.patchBytes} B; RSS MiB ${JSON.stringify(r.memory.rssMiB)}; heap MiB ${JSON.stringify(r.memory.heapUsedMiB)}; cpu ${JSON.stringify(r.cpu)}`);
const file = `${resultsDir}propagation-${mode === 'real' ? 'real-' : ''}${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(file, JSON.stringify({ machine, server: mode, results }, null, 1));
console.log(file);
