// The `--server real` side of the propagation benchmark's driver: flips the flag as an operator
// would, through the real host's API (real-server.ts), reads each flip's receipt, and turns the
// server's raw figures into the same measures as the hub-only mode. Used by clients.mjs and
// paired.mjs. `info` is what real-server.ts sends once set up: {port, controlPort, env, flag, keys}.
import { performance } from 'node:perf_hooks';

const epochNow = () => performance.timeOrigin + performance.now();

export function realTarget(info) {
  const api = `http://127.0.0.1:${info.port}`;
  const control = `http://127.0.0.1:${info.controlPort}`;
  const flagPath = `/v1/envs/${info.env}/flags/${encodeURIComponent(info.flag)}`;
  let killed = false;
  const flips = new Map(); // v -> {t0, responseMs, action, receipt}

  /** Kill, then restore, then kill…: t0 is taken as the request is handed to fetch (the clients' clock). */
  async function flip(warm = false) {
    const action = killed ? 'restore' : 'kill';
    const body = JSON.stringify({ reason: `propagation bench ${action}`, directive: 'BENCH-0001' });
    const headers = { authorization: `Bearer ${info.keys.operator}`, 'content-type': 'application/json' };
    const t0 = epochNow();
    const res = await fetch(`${api}${flagPath}/${action}`, { method: 'POST', headers, body });
    const out = await res.json();
    const responseMs = epochNow() - t0;
    if (res.status !== 200 || !Number.isInteger(out.version)) throw new Error(`${action}: ${res.status} ${JSON.stringify(out)}`);
    killed = !killed;
    const f = { v: out.version, t0, responseMs, action, warm };
    if (!warm) flips.set(f.v, f);
    return f;
  }

  async function getReceipt(v) {
    const res = await fetch(`${api}/v1/envs/${info.env}/changes/${v}`, { headers: { authorization: `Bearer ${info.keys.viewer}` } });
    const receipt = await res.json();
    if (res.status !== 200) throw new Error(`receipt ${v}: ${res.status} ${JSON.stringify(receipt)}`);
    return receipt;
  }

  /** The operator's proof, GET /v1/envs/{env}/changes/{v}, read one gap after the flip. */
  async function readReceipt(v) {
    const receipt = await getReceipt(v);
    const f = flips.get(v);
    if (f) f.receiptAtGap = receipt;
    return receipt;
  }

  const mem = async () => (await fetch(`${control}/mem`)).json();

  /**
   * Everything measured on the server's side, relative to each flip's t0:
   *   ack      = server's ack time − t0 (the tracker's sample + commit time, Date.now clock,
   *              moved to the performance clock with the offset measured in the server)
   *   receipt  = the tracker's samples as the receipt counts them (ack − commit time)
   *   commitLag = publish start − t0: HTTP, key check, reads, plan, audit seal, libsql commit
   *   preCommit = libsql commit start − t0: all of that but the commit
   */
  async function serverSide() {
    const versions = [...flips.keys()];
    // Read again once every flip is done: on a busy machine the last acks land after the gap.
    for (const f of flips.values()) f.receipt = await getReceipt(f.v);
    const rep = await (await fetch(`${control}/report?versions=${versions.join(',')}`)).json();
    const firstT0 = Math.min(...[...flips.values()].map((f) => f.t0));
    const out = {
      flips: [], loops: [], commitLag: [], preCommit: [], commitMs: [], responseMs: [], receiptP99: [], receiptP50: [], receiptMax: [],
      incompleteReceipts: 0, incompleteAtGap: 0, dateMinusEpochMs: rep.dateMinusEpochMs,
    };
    for (const s of rep.flips) {
      const f = flips.get(s.v);
      const commitEpoch = s.committedAt - rep.dateMinusEpochMs;
      out.flips.push({
        v: s.v,
        action: f.action,
        acks: s.acks.map((x) => +(commitEpoch + x - f.t0).toFixed(3)),
        receiptSamples: s.acks,
        missing: s.connected - s.acks.length,
        complete: f.receipt?.complete ?? false,
        completeAtGap: f.receiptAtGap?.complete ?? false,
        receipt: f.receipt ? { connected: f.receipt.connected, acked: f.receipt.acked, latencyMs: f.receipt.latencyMs, complete: f.receipt.complete } : null,
      });
      if (s.loopMs != null) out.loops.push(s.loopMs);
      if (s.publishAt != null) out.commitLag.push(s.publishAt - f.t0);
      const c = rep.commits.find((x) => x.at >= f.t0 && (s.publishAt == null || x.at <= s.publishAt));
      if (c) out.preCommit.push(c.at - f.t0);
      out.responseMs.push(f.responseMs);
      if (f.receipt?.latencyMs?.p99 != null) {
        out.receiptP50.push(f.receipt.latencyMs.p50);
        out.receiptP99.push(f.receipt.latencyMs.p99);
        out.receiptMax.push(f.receipt.latencyMs.max);
      }
      if (!f.receipt?.complete) out.incompleteReceipts++;
      if (!f.receiptAtGap?.complete) out.incompleteAtGap++;
    }
    // The measured flips' commits (setup and warm-up commits come earlier).
    for (const c of rep.commits) if (c.at >= firstT0) out.commitMs.push(c.ms);
    return out;
  }

  return { flip, readReceipt, mem, serverSide, flips };
}
