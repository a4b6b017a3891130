// The lean protocol-1 SDK connection of the propagation benches (../propagation/clients.mjs, whose
// worker ../cluster/ forks too, and ../worker-propagation/clients.mjs): the same raw-TCP client as
// the bare-ws floor's clients.mjs (WS_FLOOR_DIR, see ws-floor.sh), so that
// figures compare with the floor's and not with a harness. Raw TCP, a hand-written upgrade, `onread`
// into one shared buffer and a minimal frame parser, plus what an SDK does: the key in
// `Authorization`, `hello` after the upgrade, a pong for each protocol ping, and the bare `ping`
// every 10 s (the server closes a socket it has heard nothing from for 30 s; its `pong` is not passed
// on). What a text frame, a refusal or a close means is the caller's. Loopback only.
import { randomBytes } from 'node:crypto';
import net from 'node:net';

// Client frames are masked; an all-zero key is valid (RFC 6455) and needs no XOR work.
// Every client frame here is under 126 bytes, so the length fits the second byte.
export const frame = (opcode, p) => `${String.fromCharCode(0x80 | opcode)}${String.fromCharCode(0x80 | p.length)}\0\0\0\0${p}`;
/** The SDK's keep-alive, every 10 s at most (src/core/stream/limits.ts). */
const PING = frame(1, 'ping');
const PING_EVERY_MS = 10_000;

/** The ack of a snapshot or patch at version v. */
export const ackFrame = (v) => frame(1, `{"t":"ack","v":${v}}`);

/**
 * Returns `open(conn)`, which opens one connection to 127.0.0.1:port on GET /v1/stream and returns
 * its socket (the caller adds its own 'error' / 'close' listeners). `conn` is the caller's state for
 * that connection, handed back to every handler; `conn.upgraded` turns true once the upgrade's
 * answer is read, 101 or not.
 *   onUpgraded(conn)             101: `hello` has just been sent
 *   onRefused(conn, statusLine)  any other answer; the socket is destroyed right after
 *   onText(text, write, conn)    each text frame; write(str) sends a latin1 string (a frame)
 *   onCloseFrame(conn, code)     optional: a close frame (1005 when it has no code)
 */
export function leanClient({ port, key, onUpgraded, onRefused, onText, onCloseFrame }) {
  const RBUF = Buffer.allocUnsafe(65536);
  const UPGRADE = `GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Authorization: Bearer ${key}\r\n` +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  let seq = 0;
  // One timer for every connection of this client, as the ws floor's keeps one for all.
  const upgradedSockets = new Set();
  const pinger = setInterval(() => { for (const s of upgradedSockets) s.write(PING, 'latin1'); }, PING_EVERY_MS);
  pinger.unref();
  return function open(conn) {
    let rest = null;
    conn.upgraded = false;
    const instance = `bench-${process.pid}-${seq++}`;
    const write = (str) => s.write(str, 'latin1');
    const s = net.connect({ host: '127.0.0.1', port, noDelay: true, onread: { buffer: RBUF, callback(nread, shared) {
      let buf = shared, end = nread, i = 0;
      if (rest) { buf = Buffer.concat([rest, shared.subarray(0, nread)]); end = buf.length; rest = null; }
      if (!conn.upgraded) {
        const h = buf.indexOf('\r\n\r\n');
        if (h < 0 || h >= end) { rest = Buffer.from(buf.subarray(0, end)); return; }
        conn.upgraded = true;
        if (buf.toString('latin1', 9, 12) !== '101') {
          onRefused(conn, buf.toString('latin1', 0, buf.indexOf('\r\n')));
          s.destroy();
          return;
        }
        write(frame(1, `{"t":"hello","protocol":1,"sdk":"bench@1","app":"bench","instance":"${instance}"}`));
        upgradedSockets.add(s);
        s.once('close', () => upgradedSockets.delete(s));
        onUpgraded(conn);
        i = h + 4;
      }
      while (end - i >= 2) {
        let len = buf[i + 1] & 0x7f, off = 2;
        if (len === 126) { if (end - i < 4) break; len = buf.readUInt16BE(i + 2); off = 4; }
        else if (len === 127) { if (end - i < 10) break; len = Number(buf.readBigUInt64BE(i + 2)); off = 10; }
        if (end - i < off + len) break;
        const op = buf[i] & 0x0f;
        if (op === 1) {
          if (len !== 4 || buf.toString('latin1', i + off, i + off + 4) !== 'pong') onText(buf.toString('utf8', i + off, i + off + len), write, conn);
        }
        else if (op === 9) write(frame(10, buf.toString('latin1', i + off, i + off + len)));
        else if (op === 8) onCloseFrame?.(conn, len >= 2 ? buf.readUInt16BE(i + off) : 1005);
        i += off + len;
      }
      if (i < end) rest = Buffer.from(buf.subarray(i, end)); // copy: the shared buffer is reused
    } } });
    s.write(UPGRADE);
    return s;
  };
}

/** Opens n connections with open(), a batch every 10 ms, so `rate` connections per second. */
export function ramp(n, rate, open) {
  const perTick = Math.max(1, Math.round(rate / 100));
  let started = 0;
  const timer = setInterval(() => {
    for (let i = 0; i < perTick && started < n; i++, started++) open();
    if (started === n) clearInterval(timer);
  }, 10);
}

/** When the parent closes the IPC channel: destroy every socket and exit. */
export function exitWithParent(sockets) {
  process.on('disconnect', () => { for (const s of sockets) s.destroy(); process.exit(0); });
}
