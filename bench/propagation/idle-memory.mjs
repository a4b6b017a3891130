// Memory per idle SDK connection, two versions of the product compared on one machine in one run:
// the hub bench's server (server.ts, bundled from each checkout) with N lean SDK connections
// (clients.mjs's worker: hello, ack of the snapshot, a ping every 10 s), measured after gc() with
// --expose-gc. The checkouts take turns (A B A B …), so that a drift of the machine meets both.
//   node idle-memory.mjs --a <checkout> --b <checkout> [--n 10000] [--rounds 3] [--rate 2000] [--idle 3000]
// A checkout is a repository root with node_modules (e.g. `git archive <commit>` unpacked, node_modules
// linked). Prints one JSON line per measurement and a table of medians; the JSON goes to bench/results/.
// Loopback only; hard deadline 9 min; kills what it started. Raise `ulimit -n` above N first.
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { guardChildren } from '../lib/children.mjs';
import { arg } from '../lib/machine.mjs';
import { resultsDir } from './start-up.mjs';

const trees = { a: arg('a'), b: arg('b') };
if (!trees.a || !trees.b) { console.error('--a <checkout> and --b <checkout> are required'); process.exit(1); }
const n = Number(arg('n', 10000)), rounds = Number(arg('rounds', 3));
const rate = arg('rate', '2000'), idle = Number(arg('idle', 3000));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const { started, killAll, disarm } = guardChildren({ minutes: 9 });

// Each checkout's own bundler: its server.ts, built against its own src/.
const bundles = {};
for (const [name, dir] of Object.entries(trees)) {
  const { bundleServer } = await import(pathToFileURL(resolve(dir, 'bench/propagation/start-up.mjs')).href);
  bundles[name] = await bundleServer('hub');
}

async function measure(name) {
  const srv = fork(bundles[name], [], { execArgv: ['--expose-gc'] });
  started.add(srv);
  const port = await new Promise((r) => srv.once('message', (m) => r(m.port)));
  const get = async (p) => (await fetch(`http://127.0.0.1:${port}${p}`)).json();
  const m0 = await get('/mem');
  const kid = fork(resolve(trees[name], 'bench/propagation/clients.mjs'), ['--worker', '--port', String(port), '--n', String(n), '--rate', rate]);
  started.add(kid);
  const ready = await new Promise((r) => kid.on('message', (m) => m.ready && r(m)));
  await sleep(idle);
  const m1 = await get('/mem');
  kid.disconnect();
  srv.kill('SIGTERM');
  await new Promise((r) => (srv.exitCode !== null ? r() : srv.once('exit', r)));
  const per = (a, b) => Math.round((b - a) / ready.synced);
  const space = (s) => m1.spaces?.[s] && m0.spaces?.[s] ? { committed: per(m0.spaces[s][0], m1.spaces[s][0]), used: per(m0.spaces[s][1], m1.spaces[s][1]) } : null;
  return {
    tree: name, n, synced: ready.synced, failed: ready.failed, loadavg: os.loadavg()[0].toFixed(2),
    rss: per(m0.rss, m1.rss), heapUsed: per(m0.heapUsed, m1.heapUsed), oldSpace: space('old_space'), newSpace: space('new_space'),
  };
}

const results = [];
try {
  for (let i = 0; i < rounds; i++) {
    for (const name of i % 2 === 0 ? ['a', 'b'] : ['b', 'a']) {
      const r = await measure(name);
      results.push(r);
      console.log(JSON.stringify(r));
    }
  }
} catch (e) { console.error(e); killAll(); process.exit(1); }
disarm();

const median = (xs) => { const s = [...xs].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const row = (name) => {
  const rs = results.filter((r) => r.tree === name);
  return { rss: median(rs.map((r) => r.rss)), heapUsed: median(rs.map((r) => r.heapUsed)), oldCommitted: median(rs.map((r) => r.oldSpace?.committed ?? NaN)), all: rs.map((r) => r.rss).join(', ') };
};
const A = row('a'), B = row('b');
console.log(['| checkout | RSS B/conn idle (median) | each run | V8 heap used B/conn | old space committed B/conn |', '|---|---|---|---|---|',
  `| a: ${trees.a} | ${A.rss} | ${A.all} | ${A.heapUsed} | ${A.oldCommitted} |`,
  `| b: ${trees.b} | ${B.rss} (${(B.rss / A.rss).toFixed(3)}× a) | ${B.all} | ${B.heapUsed} (${(B.heapUsed / A.heapUsed).toFixed(3)}×) | ${B.oldCommitted} |`].join('\n'));
const file = `${resultsDir}idle-memory-${Date.now()}.json`;
writeFileSync(file, JSON.stringify({ trees, n, rounds, results, medians: { a: A, b: B } }, null, 1));
console.log(file);
