// Cross-instance propagation on the Node host: two `npm start` processes (A and B) on one database
// file, a kill / restore written through A, and N SDK connections on B (cross-node: B's commit tail
// reads A's commit from the change log, every 100 ms, and publishes it) or on A (same-node: the
// process that commits publishes it). Both phases in one run, with the same N and flips, so the
// ratio cross / same is measured under the same conditions; then the bare-ws floor with the same N.
//   node run.mjs --floor <ws-floor dir> [--n 1000] [--flips 30] [--warm 2] [--gap 500] [--jitter 100]
//                [--rate 2000] [--idle 3000] [--order cross,same] [--no-pin] [--no-floor]
// Use run.sh (raises the fd limit, prepares the floor). Loopback only; hard deadline 10 min; stops
// every process it started and removes its temp dir. Prints markdown; the full JSON goes to
// bench/results/cluster-*.json (git-ignored) and its path is the last line on stdout.
import { spawn, execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setupTenant } from '../lib/bench-tenant.mjs';
import { guardChildren } from '../lib/children.mjs';
import { arg, pinning } from '../lib/machine.mjs';
import { stats } from '../lib/stats.mjs';
import { realTarget } from '../propagation/real-target.mjs';
import { startNode } from './nodes.mjs';
import { runPhase } from './phase.mjs';

const num = (name, def, max) => {
  const x = Number(arg(name, def));
  if (!Number.isFinite(x) || x < 0 || x > max) { console.error(`--${name} must be a number from 0 to ${max}`); process.exit(1); }
  return x;
};
// Bounded: the deadline below must hold with the largest values.
const o = {
  n: num('n', 1000, 10000), flips: num('flips', 30, 200), warm: num('warm', 2, 10), gap: num('gap', 500, 2000),
  jitter: num('jitter', 100, 1000), rate: num('rate', 2000, 10000), idle: num('idle', 3000, 10000),
};
const order = arg('order', 'cross,same').split(',');
if (order.some((x) => x !== 'cross' && x !== 'same')) { console.error('--order lists cross and same'); process.exit(1); }
const floorDir = process.argv.includes('--no-floor') ? null : arg('floor');
if (floorDir === undefined) { console.error('--floor <ws-floor dir> (or --no-floor) is required; run.sh passes it'); process.exit(1); }
const pin = pinning();
const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));
const tmp = mkdtempSync(join(os.tmpdir(), 'killswitch-cluster-'));
// The floor runs in its own process group (bash, then its node processes): floor() marks it `group`.
const { started, killAll, disarm } = guardChildren({ minutes: 10, cleanup: () => rmSync(tmp, { recursive: true, force: true }) });

const sh = (c) => { try { return execSync(c, { encoding: 'utf8' }).trim(); } catch { return '?'; } };
const machine = {
  nproc: sh('nproc'), cpu: os.cpus()[0]?.model, memTotalGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
  node: process.version, kernel: os.release(), ulimitN: sh('ulimit -n'), loadavg: os.loadavg().map((x) => +x.toFixed(2)), pinned: pin,
  tmpFs: sh(`stat -f -c %T ${tmp}`),
};
console.error(`# cluster: machine ${JSON.stringify(machine)}; ${JSON.stringify({ ...o, order })}`);

/** Both nodes on CPU 0 (the servers' core), the load generator on CPU 1, as the propagation bench. */
async function product() {
  const databaseUrl = `file:${join(tmp, 'killswitch.db')}`;
  const rootToken = randomBytes(24).toString('base64url');
  const a = await startNode({ name: 'A', databaseUrl, rootToken, cpu: pin ? 0 : null, started });
  // B second, once A has migrated the file, as an operator adds a node to a running one.
  const b = await startNode({ name: 'B', databaseUrl, rootToken, cpu: pin ? 0 : null, started });
  console.error(`# nodes: A pid ${a.pid} ${a.url}, B pid ${b.pid} ${b.url}`);
  try {
    const info = await setupTenant(a, rootToken, 'cluster bench');
    const writer = realTarget(info); // kill / restore and receipts, all through A
    const phases = [];
    for (const which of order) {
      phases.push(await runPhase({
        ...o, path: which === 'cross' ? 'cross-node' : 'same-node', on: which === 'cross' ? b : a, nodes: [a, b],
        writer, key: info.keys.sdk, cpu: pin ? 1 : null, started,
      }));
      await new Promise((r) => setTimeout(r, 1000)); // the closed connections leave both nodes' tables
    }
    return { phases, db: 'libsql file in a temp dir (WAL, synchronous FULL)' };
  } catch (e) {
    console.error(`A:\n${a.output()}\nB:\n${b.output()}`);
    throw e;
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}

/** The floor's own run.sh with the same N and flips (it also runs a `plain` mode; we quote `preframed`). */
async function floor() {
  const args = [join(floorDir, 'run.sh'), '--ns', String(o.n), '--flips', String(o.flips), '--warm', String(o.warm),
    '--gap', String(o.gap), '--rate', String(o.rate), '--idle', String(o.idle), ...(pin ? [] : ['--no-pin'])];
  const c = spawn('bash', args, { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  c.group = true;
  started.add(c);
  const code = await new Promise((r) => c.once('exit', r));
  if (code !== 0) throw new Error(`the floor exited ${code}`);
  const dir = join(floorDir, 'results');
  const newest = readdirSync(dir).filter((f) => f.startsWith('run-')).map((f) => join(dir, f)).sort((x, y) => statSync(y).mtimeMs - statSync(x).mtimeMs)[0];
  const copy = `${resultsDir}cluster-ws-floor-${newest.split('/').pop()}`;
  copyFileSync(newest, copy); // the floor's copy may be a temp dir
  const r = JSON.parse(readFileSync(newest, 'utf8')).results[0];
  return { file: copy, n: r.n, connect: r.connect, foreignMs: r.cpu?.foreignMs, ...r.modes.preframed };
}

mkdirSync(resultsDir, { recursive: true });
let out;
try {
  out = await product();
  out.floor = floorDir ? await floor() : null;
} catch (e) { console.error(e); killAll(); process.exit(1); }
disarm();
rmSync(tmp, { recursive: true, force: true });

// ---------------------------------------------------------------- report
const by = (p) => out.phases.find((x) => x.path === p);
const cross = by('cross-node'), same = by('same-node'), fl = out.floor;
const lines = [
  `N = ${o.n} connections, ${o.flips} flips (+${o.warm} warm-up) ${o.gap}–${o.gap + o.jitter} ms apart; ms from the kill request sent through A.`,
  '',
  '| path | clients on | synced / failed | receive p50, per-flip median | receive p99, per-flip median | receive p50 / p99 pooled | receive max | receipt latencyMs p50 / p99 per-flip median, max | ack p99 from t0, per-flip median | acked / connected | complete at gap / final | kill answer p50 | foreign CPU ms |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
];
for (const p of out.phases) {
  const r = p.receive, c = p.receipt;
  lines.push(`| ${p.path} | ${p.on} | ${p.connect.synced} / ${p.connect.failed} | ${r.p50PerFlip.p50} | ${r.p99PerFlip.p50} | ${r.pooled.p50} / ${r.pooled.p99} | ${r.pooled.max} | ${c.latencyP50PerFlip.p50} / ${c.latencyP99PerFlip.p50}, ${c.latencyMaxPerFlip.max} | ${c.ackFromT0P99PerFlip.p50} | ${c.acked} / ${c.connected} | ${c.completeAtGap} / ${c.complete} of ${p.flips} | ${p.killAnswerMs.p50} | ${p.cpu.foreignMs} |`);
}
if (fl) lines.push(`| ws floor (preframed) | its server | ${fl.connect.opened} / ${fl.connect.failed} | – | ${fl.receiveP99PerFlip.p50} | ${fl.receive.p50} / ${fl.receive.p99} | ${fl.receive.max} | – | ack p99 pooled ${fl.ack.p99} | – | – | – | ${fl.foreignMs} |`);
const ratio = (x, y) => `${x} / ${y} = ${(x / y).toFixed(2)}× (${x - y >= 0 ? '+' : ''}${(x - y).toFixed(1)} ms)`;
if (cross && same) {
  lines.push('', 'Cross-node ÷ same-node:', '');
  lines.push(`- receive p50, median of per-flip: ${ratio(cross.receive.p50PerFlip.p50, same.receive.p50PerFlip.p50)}`);
  lines.push(`- receive p99, median of per-flip: ${ratio(cross.receive.p99PerFlip.p50, same.receive.p99PerFlip.p50)}`);
  lines.push(`- receive p50 pooled: ${ratio(cross.receive.pooled.p50, same.receive.pooled.p50)}`);
  lines.push(`- receive p99 pooled: ${ratio(cross.receive.pooled.p99, same.receive.pooled.p99)}`);
  lines.push(`- receive max: ${ratio(cross.receive.pooled.max, same.receive.pooled.max)}`);
  lines.push(`- receipt latencyMs p99, median of per-flip: ${ratio(cross.receipt.latencyP99PerFlip.p50, same.receipt.latencyP99PerFlip.p50)}`);
  // The wait for B's next poll is common to every connection of a flip: it shows per flip.
  const added = stats(cross.perFlip.map((f) => f.receive.p50 - same.receive.p50PerFlip.p50));
  lines.push(`- added per flip (cross per-flip p50 − same median per-flip p50): min ${added.min}, p50 ${added.p50}, p90 ${added.p90}, max ${added.max}`);
  const fc = (p) => `min ${p.firstFromCommitMs.min}, p50 ${p.firstFromCommitMs.p50}, p90 ${p.firstFromCommitMs.p90}, max ${p.firstFromCommitMs.max}`;
  lines.push(`- commit → first connection's patch, per flip: cross-node ${fc(cross)}; same-node ${fc(same)}`);
}
if (fl) {
  lines.push('', `Against the floor (receive p99, median of per-flip; the floor counts from its send loop, we from the kill request): ` +
    [cross, same].filter(Boolean).map((p) => `${p.path} ${ratio(p.receive.p99PerFlip.p50, fl.receiveP99PerFlip.p50)}`).join('; '));
}
console.log(lines.join('\n'));
const file = `${resultsDir}cluster-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(file, JSON.stringify({ machine, options: { ...o, order }, ...out }, null, 1));
console.log(file);
