// Load generator for the Worker host: N SDK connections speaking protocol 1, held by this one
// process, which run.ts forks with plain `node` (no tsx loader thread) and drives over IPC.
//   node clients.mjs --port P --key ks_… --n 1000 [--rate 250]
// The same lean raw-TCP client as ../../../shared/bench/ws-floor/clients.mjs and
// ../propagation/clients.mjs (so that figures compare with the floor's, not with a harness), plus
// what an SDK does: the key in `Authorization`, `hello` after the upgrade, an ack for the snapshot
// and for every patch, a pong for each ping. Loopback only.
//
// IPC: sends {ready} once every connection has its snapshot or has failed; answers {cmd:"report"}
// with {report}; on disconnect, destroys every socket and exits.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { performance } from 'node:perf_hooks';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const epochNow = () => performance.timeOrigin + performance.now();

const port = Number(arg('port')), key = arg('key'), n = Number(arg('n')), rate = Number(arg('rate', 250));
if (!port || !key || !n) { console.error('usage: clients.mjs --port P --key K --n N [--rate R]'); process.exit(64); }

const recv = new Map(); // v -> receive epoch times (ms), one per connection that got patch v
const closes = new Map(); // close code (or "tcp" for a socket that ended without a close frame) -> count
const refusals = new Map(); // upgrade status line -> count
const socks = [];
let opened = 0, synced = 0, failed = 0, snapshots = 0, patches = 0, acks = 0, others = 0;
const t0 = performance.now();

// Client frames are masked; an all-zero key is valid (RFC 6455) and needs no XOR work.
// Every client frame here is under 126 bytes, so the length fits the second byte.
const frame = (opcode, p) => `${String.fromCharCode(0x80 | opcode)}${String.fromCharCode(0x80 | p.length)}\0\0\0\0${p}`;

// One handler per text frame: timestamp first, then parse, then ack what was applied.
function onText(text, write, conn) {
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
  write(frame(1, `{"t":"ack","v":${m.v}}`));
  acks++;
}

// Lean client: raw TCP, hand-written upgrade, `onread` into one shared buffer, minimal parser.
const RBUF = Buffer.allocUnsafe(65536);
const UPGRADE = `GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Authorization: Bearer ${key}\r\n` +
  `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
let seq = 0;
function open() {
  let rest = null, up = false;
  // done: counted once, as synced or as failed.
  const conn = { opened: false, synced: false, done: false, closed: false };
  const fail = () => { if (!conn.done) { conn.done = true; failed++; check(); } };
  const instance = `bench-${process.pid}-${seq++}`;
  const write = (str) => s.write(str, 'latin1');
  const closedWith = (code) => {
    if (conn.closed) return;
    conn.closed = true;
    closes.set(code, (closes.get(code) ?? 0) + 1);
  };
  const s = net.connect({ host: '127.0.0.1', port, noDelay: true, onread: { buffer: RBUF, callback(nread, shared) {
    let buf = shared, end = nread, i = 0;
    if (rest) { buf = Buffer.concat([rest, shared.subarray(0, nread)]); end = buf.length; rest = null; }
    if (!up) {
      const h = buf.indexOf('\r\n\r\n');
      if (h < 0 || h >= end) { rest = Buffer.from(buf.subarray(0, end)); return; }
      up = true;
      if (buf.toString('latin1', 9, 12) !== '101') {
        const status = buf.toString('latin1', 0, buf.indexOf('\r\n'));
        refusals.set(status, (refusals.get(status) ?? 0) + 1);
        fail(); s.destroy(); return;
      }
      opened++; conn.opened = true;
      write(frame(1, `{"t":"hello","protocol":1,"sdk":"bench@1","app":"bench","instance":"${instance}"}`));
      i = h + 4;
    }
    while (end - i >= 2) {
      let len = buf[i + 1] & 0x7f, off = 2;
      if (len === 126) { if (end - i < 4) break; len = buf.readUInt16BE(i + 2); off = 4; }
      else if (len === 127) { if (end - i < 10) break; len = Number(buf.readBigUInt64BE(i + 2)); off = 10; }
      if (end - i < off + len) break;
      const op = buf[i] & 0x0f;
      if (op === 1) onText(buf.toString('utf8', i + off, i + off + len), write, conn);
      else if (op === 9) write(frame(10, buf.toString('latin1', i + off, i + off + len)));
      else if (op === 8) closedWith(len >= 2 ? buf.readUInt16BE(i + off) : 1005);
      i += off + len;
    }
    if (i < end) rest = Buffer.from(buf.subarray(i, end)); // copy: the shared buffer is reused
  } } });
  socks.push(s);
  s.on('error', () => {}); // 'close' follows
  s.on('close', () => {
    if (conn.opened) closedWith('tcp');
    // Refused, reset, or closed before its snapshot: it will never sync.
    fail();
  });
  s.write(UPGRADE);
}

let told = false;
function check() {
  if (!told && synced + failed >= n) {
    told = true;
    process.send({ ready: { opened, synced, failed, ms: +(performance.now() - t0).toFixed(0), refusals: Object.fromEntries(refusals) } });
  }
}

// Ramp: a batch every 10 ms, so `rate` connections per second.
const perTick = Math.max(1, Math.round(rate / 100));
let started = 0;
const timer = setInterval(() => {
  for (let i = 0; i < perTick && started < n; i++, started++) open();
  if (started === n) clearInterval(timer);
}, 10);

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
process.on('disconnect', () => { for (const s of socks) s.destroy(); process.exit(0); });
