// Minimal server for the propagation benchmark: the product's stream hub and
// propagation tracker over an in-memory store, on 127.0.0.1. Started by run.mjs
// (bundled with esbuild, pinned to CPU 0) with an IPC channel: it sends {port}
// once listening and exits when the parent goes away.
//   POST /flip[?warm=1] -> {v, t0, loopMs, bytes, clients}: commit one ~370-byte change and publish it
//   GET  /mem           -> gc() twice (--expose-gc), then process.memoryUsage() and the connection count
//   GET  /report        -> the server's ack latencies per measured flip (from the tracker), send-loop times
// real-server.ts (run.mjs --server real) is the real Node host, flipped by the operator's kill endpoint.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import type { Segment, WireFlag } from "@killswitch/sdk";
import type { CommittedChange, StreamSource } from "../../src/core/broadcaster.js";
import { PropagationTracker } from "../../src/node/stream/propagation-tracker.js";
import { createStreamHub } from "../../src/node/stream/index.js";
import { json, memory } from "./measurement.js";
import { watchSendLoops } from "./send-loop.js";

const TENANT = "benchtenant";
const ENV = "production";
const BENCH_KEY = `ks_${TENANT}_bench`;
const FLAG = "model.fable-5";
const epochNow = () => performance.timeOrigin + performance.now();

/** One availability flag with a segment block: its patch serializes to about 370 bytes. */
function flagAt(version: number): WireFlag {
  return {
    key: FLAG,
    kind: "boolean",
    variants: { on: true, off: false },
    enabled: version % 2 === 0,
    offVariant: "off",
    rules: [{ id: "r1", when: [{ segment: ["foreign-nationals"] }], serve: { variant: "off" } }],
    fallthrough: { variant: "on" },
    failMode: "closed",
    version,
  };
}

let version = 1;
const log: CommittedChange[] = [];
const source: StreamSource = {
  async snapshot() {
    return { version, flags: { [FLAG]: flagAt(version) }, segments: {} as Record<string, Segment> };
  },
  async changesSince(_tenant, _env, since) {
    const first = log[0];
    if (since >= version) return [];
    return first && first.prev <= since ? log.filter((c) => c.version > since) : null;
  },
};

const tracker = new PropagationTracker({ now: epochNow });
const hub = createStreamHub({
  source,
  tracker,
  authenticate: (key) =>
    key === BENCH_KEY ? { tenantId: TENANT, env: ENV, keyId: "bench" } : { status: 401, detail: "unknown key" },
  onError: (e) => console.error(e),
});

/** Each flip's wait for the end of the hub's send loop for its version (send-loop.ts). */
const loopEnds = new Map<number, (at: number) => void>();
watchSendLoops((v, at) => {
  loopEnds.get(v)?.(at);
  loopEnds.delete(v);
});

const measured: number[] = [];
const loops: number[] = [];

async function flip(warm: boolean) {
  const v = ++version;
  const change: CommittedChange = {
    tenantId: TENANT,
    env: ENV,
    version: v,
    prev: v - 1,
    committedAt: 0,
    flags: { [FLAG]: flagAt(v) },
    segments: {},
    removed: { flags: [], segments: [] },
  };
  log.push(change);
  if (log.length > 64) log.shift();
  const t0 = epochNow();
  change.committedAt = t0;
  const loopEnd = new Promise<number>((resolve) => loopEnds.set(v, resolve));
  hub.publish(change); // tracker commit, serialize + frame once; the socket writes follow in a setImmediate
  const loopMs = (await loopEnd) - t0;
  if (!warm) {
    measured.push(v);
    loops.push(loopMs);
  }
  const bytes = JSON.stringify({ t: "patch", v, prev: v - 1, flags: change.flags, segments: {}, removed: change.removed }).length;
  return { v, t0, loopMs, bytes, clients: hub.stats().connections };
}

function report() {
  const flips = measured.map((v) => {
    const receipt = tracker.receipt(TENANT, ENV, v);
    return {
      v,
      acks: (tracker.latencies(TENANT, ENV, v) ?? []).map((x) => +x.toFixed(3)),
      missing: receipt ? receipt.connected - receipt.acked : -1,
      complete: receipt?.complete ?? false,
    };
  });
  return { flips, loops };
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://x");
  if (req.method === "POST" && url.pathname === "/flip") return void flip(url.searchParams.get("warm") === "1").then((body) => json(res, 200, body));
  if (req.method === "GET" && url.pathname === "/mem") {
    return json(res, 200, memory(hub.stats().connections));
  }
  if (req.method === "GET" && url.pathname === "/report") return json(res, 200, report());
  json(res, 404, { error: "not found" });
});
server.on("upgrade", hub.handleUpgrade);

server.listen({ host: "127.0.0.1", port: 0, backlog: 4096 }, () => {
  const { port } = server.address() as AddressInfo;
  if (process.send) process.send({ port });
  else console.log(JSON.stringify({ port }));
});
process.on("disconnect", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
