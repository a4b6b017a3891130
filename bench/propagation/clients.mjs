// Load generator + driver for server.ts: N SDK connections speaking protocol 1.
//   node clients.mjs --port P --n 10000 [--rate 2000] [--idle 3000] [--flips 20] [--warm 2]
//                    [--gap 500] [--cpus 1]
// With PROPAGATION_REAL set (JSON from real-server.ts, by run.mjs --server real), --port is the
// real server's measurement port: flips are the operator's kill/restore on the product's API, each
// followed by its receipt, and the connections use the tenant's real sdk key (real-target.mjs).
// The connections are ../lib/lean-client.mjs, the floor's lean raw-TCP client (so the ratio to the
// floor measures the server, not the harness) plus what an SDK does; this worker acks the snapshot
// and every patch.
// The coordinator (this process, mostly idle) forks one worker that holds the connections, ramps
// them in at --rate conn/s, waits until every one has its snapshot, waits --idle ms, reads server
// memory, triggers --warm unmeasured and --flips measured flips --gap ms apart, and prints one
// JSON summary line. Loopback only.
// The worker alone is also forked by paired.mjs and ../cluster/phase.mjs:
//   node clients.mjs --worker --port P --n N --rate R [--key SDK_KEY]
// IPC: it sends {ready, opened, synced, failed, ms} once every connection has its snapshot (or
// failed); {cmd: 'flipsStart'} starts its CPU count; {cmd: 'report'} answers {report: {v: [receive
// epoch ms…]}, bytes, cpu}; it closes its sockets and exits when the channel closes.
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { ackFrame, exitWithParent, leanClient, ramp } from '../lib/lean-client.mjs';
import { arg, cpuTimes } from '../lib/machine.mjs';
import { stats } from '../lib/stats.mjs';
import { realTarget } from './real-target.mjs';

const REAL = process.env.PROPAGATION_REAL ? JSON.parse(process.env.PROPAGATION_REAL) : null;
// --key: the worker alone, forked by another bench (../cluster/) against a server it set up.
const KEY = arg('key') ?? (REAL ? REAL.keys.sdk : 'ks_benchtenant_bench');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const epochNow = () => performance.timeOrigin + performance.now();

if (process.argv.includes('--worker')) worker();
else coordinator().catch((e) => { console.error(e); process.exit(1); });

// ---------------------------------------------------------------- worker
function worker() {
  // The stream is on the product's port; --port is the measurement port in real mode.
  const port = REAL ? REAL.port : Number(arg('port')), n = Number(arg('n')), rate = Number(arg('rate'));
  const recv = new Map(); // v -> receive epoch times (ms)
  const bytes = {}; // v -> the patch's payload bytes (as received, first socket)
  const socks = [];
  let opened = 0, failed = 0, synced = 0, cpu0;
  const t0 = performance.now();

  const open = leanClient({
    port, key: KEY,
    onUpgraded: () => { opened++; },
    onRefused: () => { failed++; check(); },
    // One handler per text frame: timestamp first, then parse, then ack what was applied.
    onText(text, write) {
      const t = epochNow();
      const m = JSON.parse(text);
      if (m.t === 'patch') {
        let a = recv.get(m.v);
        if (!a) { recv.set(m.v, (a = [])); bytes[m.v] = Buffer.byteLength(text); }
        a.push(t);
        write(ackFrame(m.v));
      } else if (m.t === 'snapshot') {
        write(ackFrame(m.v));
        synced++; check();
      }
    },
  });
  let told = false;
  function check() {
    if (!told && synced + failed === n) {
      told = true;
      process.send({ ready: true, opened, synced, failed, ms: performance.now() - t0 });
    }
  }
  ramp(n, rate, () => {
    const conn = {};
    const s = open(conn);
    socks.push(s);
    s.on('error', () => { if (!conn.upgraded) { conn.upgraded = true; failed++; check(); } });
  });

  process.on('message', (msg) => {
    if (msg.cmd === 'flipsStart') cpu0 = process.cpuUsage();
    if (msg.cmd === 'report') {
      const out = {};
      for (const [v, a] of recv) out[v] = a;
      process.send({ report: out, bytes, cpu: process.cpuUsage(cpu0) });
    }
  });
  exitWithParent(socks);
}

// ---------------------------------------------------------------- coordinator
async function coordinator() {
  const port = Number(arg('port')), n = Number(arg('n', 1000)), rate = Number(arg('rate', 2000));
  const idle = Number(arg('idle', 3000)), flips = Number(arg('flips', 20));
  const warm = Number(arg('warm', 2)), gap = Number(arg('gap', 500));
  const cpus = arg('cpus', ''); // e.g. "1": pin the worker with taskset
  const base = `http://127.0.0.1:${port}`;
  const get = async (p) => (await fetch(base + p)).json();
  const post = async (p) => (await fetch(base + p, { method: 'POST' })).json();
  const real = REAL && realTarget(REAL);

  const mem0 = await get('/mem'), slab0 = slabKiB();
  const wargs = ['--worker', '--port', String(port), '--n', String(n), '--rate', String(rate)];
  const kid = cpus
    ? fork(process.argv[1], wargs, { execPath: 'taskset', execArgv: ['-c', cpus, process.execPath] })
    : fork(process.argv[1], wargs);
  const ask = (cmd, key) => new Promise((res) => {
    const h = (m) => { if (m[key]) { kid.off('message', h); res(m); } };
    kid.on('message', h);
    if (cmd) kid.send({ cmd });
  });
  const ready = await ask(null, 'ready');
  await sleep(idle);
  const mem1 = await get('/mem'), slab1 = slabKiB();

  kid.send({ cmd: 'flipsStart' });
  const loadavg = os.loadavg().map((x) => +x.toFixed(2));
  const tf0 = performance.now(), sys0 = cpuTimes(), self0 = process.cpuUsage();
  for (let i = 0; i < warm; i++) { await (real ? real.flip(true) : post('/flip?warm=1')); await sleep(gap); }
  const sent = new Map(); // v -> {t0, loopMs?, bytes?}
  for (let i = 0; i < flips; i++) {
    const r = real ? await real.flip() : await post('/flip');
    sent.set(r.v, r);
    await sleep(gap);
    if (real) await real.readReceipt(r.v); // the operator's proof, read after each flip
  }
  await sleep(1000); // let the last acks land
  const flipWallMs = performance.now() - tf0;
  const mem2 = await get('/mem'), sys1 = cpuTimes(), self1 = process.cpuUsage(self0);
  const srv = real ? await real.serverSide() : await get('/report');
  const rep = await ask('report', 'report');
  kid.disconnect();

  const recvAll = [], recvP99 = [], spans = [];
  let got = 0;
  for (const [v, f] of sent) {
    const times = rep.report[v] ?? [];
    const one = times.map((t) => t - f.t0);
    for (const x of one) recvAll.push(x);
    got += one.length;
    recvP99.push(stats(one).p99);
    if (times.length) spans.push(Math.max(...times) - Math.min(...times));
  }
  const ackAll = [], ackP99 = [];
  let ackMissing = 0, incomplete = 0;
  for (const f of srv.flips) {
    for (const x of f.acks) ackAll.push(x);
    ackP99.push(stats(f.acks).p99);
    ackMissing += f.missing;
    if (!f.complete) incomplete++;
  }
  const result = {
    n, rate, client: 'raw',
    connect: { opened: ready.opened, synced: ready.synced, failed: ready.failed, ms: ready.ms },
    server: real ? 'real' : 'hub', loadavgAtFlips: loadavg, flips, warm, gapMs: gap,
    patchBytes: [...sent.values()][0]?.bytes ?? rep.bytes[[...sent.keys()][0]],
    memory: summarizeMem(mem0, mem1, mem2, ready.synced),
    product: {
      receive: stats(recvAll), receiveP99PerFlip: stats(recvP99), receiveMissing: sent.size * ready.synced - got,
      ack: stats(ackAll), ackP99PerFlip: stats(ackP99), ackMissing, incompleteReceipts: incomplete,
      serverSendLoop: stats(srv.loops), clientReceiveSpread: stats(spans),
    },
  };
  if (real) result.real = realSummary(srv, REAL);
  if (slab0 != null) result.memory.kernelSlabBytesPerConnBothEnds = Math.round((slab1 - slab0) * 1024 / ready.synced);
  const serverCpuMs = (mem2.cpu.user + mem2.cpu.system - mem1.cpu.user - mem1.cpu.system) / 1000;
  result.cpu = {
    flipPhaseWallMs: +flipWallMs.toFixed(0),
    serverMs: +serverCpuMs.toFixed(0),
    serverSysMs: +((mem2.cpu.system - mem1.cpu.system) / 1000).toFixed(0),
    clientsMs: [+((rep.cpu.user + rep.cpu.system) / 1000).toFixed(0)],
  };
  // Noise check: CPU the machine burnt during the flip phase that was not ours.
  if (sys0 && sys1) {
    const ours = serverCpuMs + (self1.user + self1.system) / 1000 + (rep.cpu.user + rep.cpu.system) / 1000;
    result.cpu.foreignMs = Math.max(0, Math.round(sys1.busy - sys0.busy - ours));
    result.cpu.stealMs = sys1.steal - sys0.steal;
  }
  console.log(JSON.stringify(result));
}

/** What only the real server has: the commit path before the send loop, and the receipts. */
function realSummary(srv, info) {
  const receiptAll = srv.flips.flatMap((f) => f.receiptSamples);
  return {
    setup: info.bench,
    commitLagMs: stats(srv.commitLag), // kill request sent -> publish starts
    preCommitMs: stats(srv.preCommit), // kill request sent -> libsql commit starts
    commitMs: stats(srv.commitMs), // libsql batch (with the WAL fsync)
    killResponseMs: stats(srv.responseMs), // request sent -> response read (after the send loop)
    receiptPooled: stats(receiptAll), // ack - committedAt, every instance of every flip
    receiptP50PerFlip: stats(srv.receiptP50),
    receiptP99PerFlip: stats(srv.receiptP99),
    receiptMaxPerFlip: stats(srv.receiptMax),
    receipts: srv.flips.map((f) => ({ v: f.v, action: f.action, completeAtGap: f.completeAtGap, ...f.receipt })),
    incompleteReceipts: srv.incompleteReceipts, // read again after the last flip
    incompleteAtGap: srv.incompleteAtGap, // read one gap (500 ms) after its flip
    dateMinusEpochMs: srv.dateMinusEpochMs,
  };
}

function slabKiB() {
  try { return Number(/^Slab:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))[1]); } catch { return null; }
}

function summarizeMem(m0, m1, m2, n) {
  const per = (k) => Math.round((m1[k] - m0[k]) / n);
  const mb = (x) => +(x / 1048576).toFixed(1);
  return {
    idleClients: m1.clients,
    rssMiB: { before: mb(m0.rss), idle: mb(m1.rss), afterFlips: mb(m2.rss) },
    heapUsedMiB: { before: mb(m0.heapUsed), idle: mb(m1.heapUsed), afterFlips: mb(m2.heapUsed) },
    bytesPerConn: { rss: per('rss'), heapUsed: per('heapUsed'), external: per('external'),
      rssAfterFlips: Math.round((m2.rss - m0.rss) / n),
      ...(m1.rssAnon != null && { rssAnon: per('rssAnon'), rssFile: per('rssFile') }) },
    ...(m1.rssAnon != null && { rssAnonMiB: { before: mb(m0.rssAnon), idle: mb(m1.rssAnon), afterFlips: mb(m2.rssAnon) } }),
  };
}
