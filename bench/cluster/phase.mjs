// One measured phase of the cluster bench: N SDK connections on one node (the propagation bench's
// lean client worker, ../propagation/clients.mjs --worker), the flag flipped through the writer node
// (kill, restore, … by ../propagation/real-target.mjs), and per flip:
//   receive  = each connection's patch arrival − t0 (the kill request handed to fetch; one clock)
//   receipt  = GET /v1/envs/{env}/changes/{v} asked of the writer one gap after the flip, and again
//              at the end until complete: connected / acked / latencyMs (ack − commit, whole ms)
//   ack      = the receipt's latencies moved to t0: committedAt − t0 + latencyMs (1 ms resolution)
import { fork } from 'node:child_process';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { cpuTimes } from '../lib/machine.mjs';
import { stats } from '../lib/stats.mjs';

const CLIENTS = fileURLToPath(new URL('../propagation/clients.mjs', import.meta.url));
const FINAL_RECEIPT_WAIT_MS = 15_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const epochNow = () => performance.timeOrigin + performance.now();

/** Date.now() − the performance epoch in this process: receipts are on Date.now, t0 is not. */
export function dateMinusEpochMs() {
  let sum = 0;
  for (let i = 0; i < 200; i++) sum += Date.now() - epochNow();
  return sum / 200;
}

/**
 * @param o.path        'cross-node' | 'same-node' (a label)
 * @param o.on          the node the connections are on ({name, port})
 * @param o.nodes       every node, for their CPU time
 * @param o.writer      realTarget() of the writer node
 * @param o.key         the sdk key
 * @param o.started     set of children to kill on any way out
 * @param o.cpu         the CPU to pin the load generator to, or null
 */
export async function runPhase(o) {
  const { n, rate, idle, warm, flips, gap, jitter, writer } = o;
  const env = { ...process.env };
  delete env.PROPAGATION_REAL; // the worker takes the port and key from its arguments
  const wargs = ['--worker', '--port', String(o.on.port), '--n', String(n), '--rate', String(rate), '--key', o.key];
  const kid = o.cpu == null
    ? fork(CLIENTS, wargs, { env })
    : fork(CLIENTS, wargs, { execPath: 'taskset', execArgv: ['-c', String(o.cpu), process.execPath], env });
  o.started.add(kid);
  const ask = (cmd, key) => new Promise((res, rej) => {
    const h = (m) => { if (m[key] !== undefined) { kid.off('message', h); kid.off('exit', bad); res(m); } };
    const bad = (c) => rej(new Error(`clients exited ${c}`));
    kid.on('message', h);
    kid.once('exit', bad);
    if (cmd) kid.send({ cmd });
  });
  const ready = await ask(null, 'ready');
  console.error(`# ${o.path}: ${ready.synced}/${n} synced on ${o.on.name} (${ready.failed} failed) in ${ready.ms.toFixed(0)} ms`);
  await sleep(idle);

  const offset = dateMinusEpochMs();
  const loadavg = os.loadavg().map((x) => +x.toFixed(2));
  kid.send({ cmd: 'flipsStart' });
  const busy0 = cpuTimes()?.busy, nodes0 = o.nodes.map((x) => x.cpuMs()), self0 = process.cpuUsage(), tf0 = performance.now();
  const pause = () => sleep(gap + Math.random() * jitter);
  for (let i = 0; i < warm; i++) { await writer.flip(true); await pause(); }
  const sent = [];
  for (let i = 0; i < flips; i++) {
    const f = await writer.flip();
    await pause();
    sent.push({ ...f, atGap: pick(await writer.readReceipt(f.v)) });
  }
  await sleep(1000); // the last acks land, and the receipt shares of the other node
  const wallMs = performance.now() - tf0, busy1 = cpuTimes()?.busy, nodes1 = o.nodes.map((x) => x.cpuMs()), self1 = process.cpuUsage(self0);
  const rep = await ask('report', 'report');

  // The final receipts: polled until complete (a share of another node lands at its next tick).
  const until = Date.now() + FINAL_RECEIPT_WAIT_MS;
  for (const f of sent) {
    for (;;) {
      f.final = pick(await writer.readReceipt(f.v));
      if (f.final.complete || Date.now() > until) break;
      await sleep(100);
    }
  }
  kid.disconnect();
  await new Promise((r) => (kid.exitCode !== null ? r() : kid.once('exit', r)));

  const perFlip = sent.map((f) => {
    const recv = (rep.report[f.v] ?? []).map((t) => t - f.t0);
    const commitOffset = Date.parse(f.final.committedAt) - offset - f.t0; // commit (planned) − t0
    return {
      v: f.v, action: f.action, killAnswerMs: +f.responseMs.toFixed(2),
      receive: stats(recv), recv,
      receiptAtGap: f.atGap, receipt: f.final, commitOffsetMs: +commitOffset.toFixed(2),
    };
  });
  const pooled = perFlip.flatMap((f) => f.recv);
  const nodeCpu = Object.fromEntries(o.nodes.map((x, i) => [x.name, nodes1[i] != null && nodes0[i] != null ? nodes1[i] - nodes0[i] : null]));
  const ours = Object.values(nodeCpu).reduce((a, b) => a + (b ?? 0), 0) + (self1.user + self1.system) / 1000 + (rep.cpu.user + rep.cpu.system) / 1000;
  const got = perFlip.reduce((a, f) => a + f.recv.length, 0);
  for (const f of perFlip) delete f.recv; // pooled below; the JSON keeps per-flip summaries
  const lat = (k) => perFlip.map((f) => f.receipt.latencyMs?.[k]).filter((x) => x != null);
  const ackFromT0 = (k) => perFlip.filter((f) => f.receipt.latencyMs?.[k] != null).map((f) => f.commitOffsetMs + f.receipt.latencyMs[k]);
  return {
    path: o.path, on: o.on.name, n, flips, warm, gapMs: gap, jitterMs: jitter, loadavgAtFlips: loadavg,
    connect: { opened: ready.opened, synced: ready.synced, failed: ready.failed, ms: Math.round(ready.ms) },
    patchBytes: rep.bytes[sent[0]?.v],
    receive: {
      pooled: stats(pooled),
      p50PerFlip: stats(perFlip.map((f) => f.receive.p50)),
      p99PerFlip: stats(perFlip.map((f) => f.receive.p99)),
      minPerFlip: stats(perFlip.map((f) => f.receive.min)),
      maxPerFlip: stats(perFlip.map((f) => f.receive.max)),
      missing: sent.length * ready.synced - got,
    },
    killAnswerMs: stats(perFlip.map((f) => f.killAnswerMs)),
    commitOffsetMs: stats(perFlip.map((f) => f.commitOffsetMs)),
    // The commit (as planned on the writer) → the first connection's patch: on the other node, the
    // wait for its next poll, the read and the start of its send loop; on the writer, the commit.
    firstFromCommitMs: stats(perFlip.filter((f) => f.receive.count).map((f) => f.receive.min - f.commitOffsetMs)),
    receipt: {
      latencyP50PerFlip: stats(lat('p50')), latencyP99PerFlip: stats(lat('p99')), latencyMaxPerFlip: stats(lat('max')),
      ackFromT0P50PerFlip: stats(ackFromT0('p50')), ackFromT0P99PerFlip: stats(ackFromT0('p99')),
      connected: sum(perFlip.map((f) => f.receipt.connected)), acked: sum(perFlip.map((f) => f.receipt.acked)),
      connectedAtGap: sum(perFlip.map((f) => f.receiptAtGap.connected)), ackedAtGap: sum(perFlip.map((f) => f.receiptAtGap.acked)),
      completeAtGap: perFlip.filter((f) => f.receiptAtGap.complete).length, complete: perFlip.filter((f) => f.receipt.complete).length,
    },
    cpu: {
      flipPhaseWallMs: Math.round(wallMs), nodesMs: nodeCpu, clientsMs: Math.round((rep.cpu.user + rep.cpu.system) / 1000),
      // The machine's busy time in the flip phase that none of our processes used: other people's work.
      foreignMs: busy0 != null && busy1 != null ? Math.max(0, Math.round(busy1 - busy0 - ours)) : null,
    },
    perFlip,
  };
}

const pick = (r) => ({ connected: r.connected, acked: r.acked, complete: r.complete, latencyMs: r.latencyMs, committedAt: r.committedAt });
const sum = (a) => a.reduce((x, y) => x + (y ?? 0), 0);
