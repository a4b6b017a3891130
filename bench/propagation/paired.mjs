// Paired comparison with the bare-ws floor on a noisy machine: both servers up at once (each pinned
// to CPU 0, each with N connections from its own load generator pinned to CPU 1), and their flips
// interleaved 0.5 s apart, so each product flip and the floor flip next to it meet the same noise.
// The floor's own server.mjs and clients.mjs worker run unchanged (in "preframed" mode).
//   node paired.mjs --floor <ws-floor dir> [--ns 1000,10000] [--flips 20] [--warm 2] [--gap 500]
//                   [--rate 2000] [--idle 3000] [--no-pin] [--server hub|real] [--cpu-prof <dir>]
// --server real: the product is real-server.ts (the real Node host on a libsql file), flipped by the
// operator's kill/restore, each followed by its receipt (real-target.mjs).
// Use run.sh --paired. Loopback only; hard deadline 9 min; kills what it started.
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { guardChildren } from '../lib/children.mjs';
import { arg, cpuTimes, pinning } from '../lib/machine.mjs';
import { stats } from '../lib/stats.mjs';
import { realTarget } from './real-target.mjs';
import { bundleServer, here, resultsDir, serverMode } from './start-up.mjs';

const floorDir = arg('floor');
if (!floorDir) { console.error('--floor <ws-floor dir> is required'); process.exit(1); }
const ns = arg('ns', '1000,10000').split(',').map(Number);
const flips = Number(arg('flips', 20)), warm = Number(arg('warm', 2)), gap = Number(arg('gap', 500));
const rate = Number(arg('rate', 2000)), idle = Number(arg('idle', 3000));
const mode = serverMode();
// --cpu-prof <dir>: the product server writes a V8 CPU profile there when it exits (open in Chrome's DevTools).
const cpuProf = arg('cpu-prof');
const pin = pinning();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const { started, killAll, disarm } = guardChildren({ minutes: 9 });

const productServer = await bundleServer(mode);

/** Fork a module pinned to one CPU (when pinning), with an IPC channel. */
function forkPinned(file, args, cpu, execArgv = [], env = process.env) {
  const kid = pin
    ? fork(file, args, { execPath: 'taskset', execArgv: ['-c', String(cpu), process.execPath, ...execArgv], env })
    : fork(file, args, { execArgv, env });
  started.add(kid);
  return kid;
}
const once = (kid, key) => new Promise((res, rej) => {
  const h = (m) => { if (m[key] !== undefined) { kid.off('message', h); res(m); } };
  kid.on('message', h);
  kid.once('exit', (c) => rej(new Error(`child exited ${c}`)));
});
const http = (port) => ({
  get: async (p) => (await fetch(`http://127.0.0.1:${port}${p}`)).json(),
  post: async (p) => (await fetch(`http://127.0.0.1:${port}${p}`, { method: 'POST' })).json(),
});

/** MiB before / idle / after flips, and per idle connection (RssAnon where the server reports it). */
function memDetail(m0, m1, m2, count) {
  const mb = (x) => +(x / 1048576).toFixed(1);
  const out = { rssMiB: [mb(m0.rss), mb(m1.rss), mb(m2.rss)], heapUsedMiB: [mb(m0.heapUsed), mb(m1.heapUsed), mb(m2.heapUsed)],
    heapBytesPerConnIdle: Math.round((m1.heapUsed - m0.heapUsed) / count) };
  if (m1.rssAnon != null) {
    out.rssAnonMiB = [mb(m0.rssAnon), mb(m1.rssAnon), mb(m2.rssAnon)];
    out.rssAnonBytesPerConnIdle = Math.round((m1.rssAnon - m0.rssAnon) / count);
    out.rssFileBytesPerConnIdle = Math.round((m1.rssFile - m0.rssFile) / count);
  }
  return out;
}

async function pairedRun(n) {
  const prodSrv = forkPinned(productServer, [], 0, ['--expose-gc', ...(cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`] : [])]);
  const floorSrv = forkPinned(`${floorDir}/server.mjs`, [], 0, ['--expose-gc']);
  const [pInfo, { port: fPort }] = await Promise.all([once(prodSrv, 'port'), once(floorSrv, 'port')]);
  // real: the stream and API are on pInfo.port, /mem on the measurement port.
  const real = mode === 'real' ? realTarget(pInfo) : null;
  const pPort = pInfo.port;
  const prod = http(real ? pInfo.controlPort : pPort), floor = http(fPort);
  const mem0 = { product: await prod.get('/mem'), floor: await floor.get('/mem') };
  // Both load generators at once, on the same core, like the servers.
  const prodEnv = real ? { ...process.env, PROPAGATION_REAL: JSON.stringify(pInfo) } : process.env;
  const prodGen = forkPinned(`${here}clients.mjs`, ['--worker', '--port', String(pPort), '--n', String(n), '--rate', String(rate)], 1, [], prodEnv);
  const floorGen = forkPinned(`${floorDir}/clients.mjs`, ['--worker', '--port', String(fPort), '--n', String(n), '--rate', String(rate), '--client', 'raw'], 1);
  const [pReady, fReady] = await Promise.all([once(prodGen, 'ready'), once(floorGen, 'ready')]);
  console.error(`# paired N=${n}: product synced ${pReady.synced}/${n}, floor connected ${fReady.opened}/${n}`);
  await sleep(idle);
  const mem1 = { product: await prod.get('/mem'), floor: await floor.get('/mem') };

  const loadavg = os.loadavg().map((x) => +x.toFixed(2));
  prodGen.send({ cmd: 'flipsStart' });
  floorGen.send({ cmd: 'flipsStart' });
  const busy0 = cpuTimes()?.busy, tf0 = performance.now();
  for (let i = 0; i < warm; i++) {
    await (real ? real.flip(true) : prod.post('/flip?warm=1')); await sleep(gap);
    await floor.post('/flip?mode=preframed&warm=1'); await sleep(gap);
  }
  const prodFlips = new Map(), floorFlips = [], pairs = [];
  for (let i = 0; i < flips; i++) {
    // Alternate which goes first, so neither always follows the other's flip.
    const order = i % 2 === 0 ? ['product', 'floor'] : ['floor', 'product'];
    const pair = {};
    for (const who of order) {
      if (who === 'product') {
        const r = real ? await real.flip() : await prod.post('/flip');
        prodFlips.set(r.v, r); pair.product = r.v;
        await sleep(gap);
        if (real) await real.readReceipt(r.v); // the operator's proof, read after each flip
        continue;
      }
      else { const r = await floor.post('/flip?mode=preframed'); floorFlips.push(r.v); pair.floor = r.v; }
      await sleep(gap);
    }
    pairs.push(pair);
  }
  await sleep(1000);
  const wallMs = performance.now() - tf0, busy1 = cpuTimes()?.busy;
  const mem2 = { product: await prod.get('/mem'), floor: await floor.get('/mem') };
  const pSrv = real ? await real.serverSide() : await prod.get('/report');
  const fSrv = await floor.get('/report');
  prodGen.send({ cmd: 'report' }); floorGen.send({ cmd: 'report' });
  const [pRep, fRep] = await Promise.all([once(prodGen, 'report'), once(floorGen, 'report')]);
  for (const k of [prodGen, floorGen]) k.disconnect();
  for (const k of [prodSrv, floorSrv]) k.kill('SIGTERM');
  await Promise.all([prodSrv, floorSrv, prodGen, floorGen].map((k) => (k.exitCode !== null ? null : new Promise((r) => k.once('exit', r)))));

  // Product: receive = client receive time − flip start (t0), ack = tracker's ack − t0.
  const pRecv = [], pRecvP99 = [];
  const pRecvOf = new Map();
  for (const [v, f] of prodFlips) {
    const one = (pRep.report[v] ?? []).map((t) => t - f.t0);
    pRecvOf.set(v, stats(one).p99);
    pRecv.push(...one); pRecvP99.push(stats(one).p99);
  }
  const pAck = [], pAckP99 = [];
  let pAckMissing = 0;
  for (const f of pSrv.flips) { pAck.push(...f.acks); pAckP99.push(stats(f.acks).p99); pAckMissing += f.missing; }
  // Floor: its worker measures receive − sentAt (taken before its send loop); its server pools acks.
  const fRecv = [], fRecvP99 = [];
  const fRecvOf = new Map();
  for (const v of floorFlips) {
    const one = fRep.report[v]?.lat ?? [];
    fRecvOf.set(v, stats(one).p99);
    fRecv.push(...one); fRecvP99.push(stats(one).p99);
  }
  // Per pair: product p99 ÷ floor p99 of the flip next to it.
  const pairRatios = pairs.map((p) => pRecvOf.get(p.product) / fRecvOf.get(p.floor)).filter(Number.isFinite);
  const perConn = (m1, m0, count) => Math.round((m1.rss - m0.rss) / count);
  const cpuMs = (m) => (m.cpu.user + m.cpu.system) / 1000;
  const serverCpu = { product: cpuMs(mem2.product) - cpuMs(mem1.product), floor: cpuMs(mem2.floor) - cpuMs(mem1.floor) };
  const genCpu = ((pRep.cpu.user + pRep.cpu.system) + (fRep.cpu.user + fRep.cpu.system)) / 1000;
  const receiptAll = real ? pSrv.flips.flatMap((f) => f.receiptSamples) : [];
  return {
    n,
    server: mode,
    loadavgAtFlips: loadavg,
    ...(real && {
      real: {
        setup: pInfo.bench,
        patchBytes: pRep.bytes[[...prodFlips.keys()][0]],
        commitLagMs: stats(pSrv.commitLag), preCommitMs: stats(pSrv.preCommit), commitMs: stats(pSrv.commitMs), killResponseMs: stats(pSrv.responseMs),
        receiptPooled: stats(receiptAll), receiptP99PerFlip: stats(pSrv.receiptP99), receiptMaxPerFlip: stats(pSrv.receiptMax),
        receipts: pSrv.flips.map((f) => ({ v: f.v, action: f.action, completeAtGap: f.completeAtGap, ...f.receipt })),
        incompleteReceipts: pSrv.incompleteReceipts, incompleteAtGap: pSrv.incompleteAtGap,
        ackP99PerFlipMedian: stats(pAckP99).p50,
      },
    }),
    product: {
      receive: stats(pRecv), receiveP99PerFlip: stats(pRecvP99), ack: stats(pAck), ackP99PerFlip: stats(pAckP99),
      ackMissing: pAckMissing, receiveMissing: prodFlips.size * pReady.synced - pRecv.length,
      sendLoop: stats(pSrv.loops), serverCpuMsPerFlip: +(serverCpu.product / (flips + warm)).toFixed(1),
      rssBytesPerConnIdle: perConn(mem1.product, mem0.product, pReady.synced),
      memory: memDetail(mem0.product, mem1.product, mem2.product, pReady.synced),
    },
    floor: {
      receive: stats(fRecv), receiveP99PerFlip: stats(fRecvP99), ack: stats(fSrv.preframed.acks),
      ackMissing: fSrv.preframed.missing, receiveMissing: floorFlips.length * fReady.opened - fRecv.length,
      sendLoop: stats(fSrv.preframed.loops), serverCpuMsPerFlip: +(serverCpu.floor / (flips + warm)).toFixed(1),
      rssBytesPerConnIdle: perConn(mem1.floor, mem0.floor, fReady.opened),
      memory: memDetail(mem0.floor, mem1.floor, mem2.floor, fReady.opened),
    },
    pairedReceiveP99Ratio: stats(pairRatios),
    // The machine's busy time during the flips that was not these four processes: the noise.
    foreignCpuMs: busy0 != null ? Math.max(0, Math.round(busy1 - busy0 - serverCpu.product - serverCpu.floor - genCpu)) : null,
    flipPhaseWallMs: Math.round(wallMs),
  };
}

const results = [];
try { for (const n of ns) results.push(await pairedRun(n)); }
catch (e) { console.error(e); killAll(); process.exit(1); }
disarm();

const r2 = (a, b) => (b ? `${(a / b).toFixed(2)}×` : 'n/a');
const cell = (a, b) => `${a} / ${b} = ${r2(a, b)}`;
const lines = [
  `Paired (product: ${mode === 'real' ? 'the real Node host, flipped by POST …/kill and …/restore' : 'hub over an in-memory source, POST /flip'}): product and floor (preframed) flips interleaved on the same machine at the same time. Cells: product / floor = ratio; ms.`,
  '| N | receive p99 (pooled) | receive p99 (per-flip median) | median of per-pair receive p99 ratios | ack p99 (pooled) | ack p50 | send loop p50 | server CPU ms per flip | RSS B/conn idle | missing recv/ack (product; floor) | foreign CPU ms |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
];
for (const r of results) {
  const p = r.product, f = r.floor;
  lines.push(`| ${r.n} | ${cell(p.receive.p99, f.receive.p99)} | ${cell(p.receiveP99PerFlip.p50, f.receiveP99PerFlip.p50)} | ${r.pairedReceiveP99Ratio.p50}× | ${cell(p.ack.p99, f.ack.p99)} | ${cell(p.ack.p50, f.ack.p50)} | ${cell(p.sendLoop.p50, f.sendLoop.p50)} | ${cell(p.serverCpuMsPerFlip, f.serverCpuMsPerFlip)} | ${cell(p.rssBytesPerConnIdle, f.rssBytesPerConnIdle)} | ${p.receiveMissing}/${p.ackMissing}; ${f.receiveMissing}/${f.ackMissing} | ${r.foreignCpuMs} |`);
}
console.log(lines.join('\n'));
for (const r of results.filter((x) => x.real)) {
  const x = r.real;
  console.log(`N=${r.n} real: patch ${x.patchBytes} B (floor ~370 B); ack p99 per-flip median ${x.ackP99PerFlipMedian}; kill request -> publish p50/max ${x.commitLagMs.p50}/${x.commitLagMs.max} ms (libsql commit p50/max ${x.commitMs.p50}/${x.commitMs.max}); kill response p50/max ${x.killResponseMs.p50}/${x.killResponseMs.max}; receipt latencyMs pooled p50/p99/max ${x.receiptPooled.p50}/${x.receiptPooled.p99}/${x.receiptPooled.max}, per-flip p99 median/max ${x.receiptP99PerFlip.p50}/${x.receiptP99PerFlip.max}; incomplete receipts at gap/final ${x.incompleteAtGap}/${x.incompleteReceipts}; RssAnon B/conn idle ${r.product.memory.rssAnonBytesPerConnIdle} (RSS ${r.product.rssBytesPerConnIdle}); load ${r.loadavgAtFlips}; db ${JSON.stringify(x.setup)}`);
}
const file = `${resultsDir}propagation-paired-${mode === 'real' ? 'real-' : ''}${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(file, JSON.stringify({ pinned: pin, node: process.version, server: mode, loadavg: os.loadavg(), results }, null, 1));
console.log(file);
