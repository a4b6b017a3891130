// Load generator for the Worker host: N SDK connections speaking protocol 1, held by this one
// process, which run.ts forks with plain `node` (no tsx loader thread) and drives over IPC.
//   node clients.mjs --port P --key ks_… --n 1000 [--rate 250]
// The connections are ../lib/lean-client.mjs, the ws floor's lean raw-TCP client (as
// ../propagation/clients.mjs, so that figures compare with the floor's, not with a harness) plus
// what an SDK does; this process acks the snapshot and every patch. Loopback only.
//
// IPC: sends {ready} once every connection has its snapshot or has failed; answers {cmd:"report"}
// with {report}; on disconnect, destroys every socket and exits.
import { performance } from 'node:perf_hooks';
import { ackFrame, exitWithParent, leanClient, ramp } from '../lib/lean-client.mjs';
import { arg } from '../lib/machine.mjs';

const epochNow = () => performance.timeOrigin + performance.now();

const port = Number(arg('port')), key = arg('key'), n = Number(arg('n')), rate = Number(arg('rate', 250));
if (!port || !key || !n) { console.error('usage: clients.mjs --port P --key K --n N [--rate R]'); process.exit(64); }

const recv = new Map(); // v -> receive epoch times (ms), one per connection that got patch v
const closes = new Map(); // close code (or "tcp" for a socket that ended without a close frame) -> count
const refusals = new Map(); // upgrade status line -> count
const socks = [];
let opened = 0, synced = 0, failed = 0, snapshots = 0, patches = 0, acks = 0, others = 0;
const t0 = performance.now();

// conn.done: counted once, as synced or as failed.
const fail = (conn) => { if (!conn.done) { conn.done = true; failed++; check(); } };
const closedWith = (conn, code) => {
  if (conn.closed) return;
  conn.closed = true;
  closes.set(code, (closes.get(code) ?? 0) + 1);
};

const open = leanClient({
  port, key,
  onUpgraded: (conn) => { opened++; conn.opened = true; },
  onRefused: (conn, status) => { refusals.set(status, (refusals.get(status) ?? 0) + 1); fail(conn); },
  // One handler per text frame: timestamp first, then parse, then ack what was applied.
  onText(text, write, conn) {
    const t = epochNow();
    const m = JSON.parse(text);
    if (m.t === 'patch') {
      patches++;
      let a = recv.get(m.v);
      if (!a) recv.set(m.v, (a = []));
      a.push(t);
    } else if (m.t === 'snapshot') {
      snapshots++;
      if (!conn.done) { conn.done = conn.synced = true; synced++; check(); }
    } else {
      others++;
      return;
    }
    write(ackFrame(m.v));
    acks++;
  },
  onCloseFrame: closedWith,
});

let told = false;
function check() {
  if (!told && synced + failed >= n) {
    told = true;
    process.send({ ready: { opened, synced, failed, ms: +(performance.now() - t0).toFixed(0), refusals: Object.fromEntries(refusals) } });
  }
}

ramp(n, rate, () => {
  const conn = { opened: false, synced: false, done: false, closed: false };
  const s = open(conn);
  socks.push(s);
  s.on('error', () => {}); // 'close' follows
  s.on('close', () => {
    if (conn.opened) closedWith(conn, 'tcp');
    // Refused, reset, or closed before its snapshot: it will never sync.
    fail(conn);
  });
});

let cpu0 = process.cpuUsage();
process.on('message', (msg) => {
  if (msg.cmd === 'flipsStart') cpu0 = process.cpuUsage();
  if (msg.cmd === 'report') {
    const cpu = process.cpuUsage(cpu0);
    process.send({ report: {
      recv: Object.fromEntries(recv), opened, synced, failed, snapshots, patches, acks, others,
      closes: Object.fromEntries(closes), refusals: Object.fromEntries(refusals),
      cpuMs: +((cpu.user + cpu.system) / 1000).toFixed(0),
    } });
  }
});
exitWithParent(socks);
