// The real Node host for the propagation benchmark's `--server real` mode: `startServer` from
// src/node/server.ts with `stream: nodeStreamHost()`, on a libsql file in a fresh temp dir (WAL,
// every commit synced to disk as in production), on 127.0.0.1 port 0. Started by run.mjs or
// paired.mjs (bundled with esbuild, pinned to CPU 0) with an IPC channel; exits when the parent goes.
//
// Setup goes through the public API as an operator's would (../lib/bench-tenant.mjs): the root
// token creates a tenant; its admin key creates operator, viewer and sdk (production) keys, the flag
// `model.fable-5`, the segment `foreign-nationals` and the flag's config (a segment block,
// fail-closed). It then sends {port, controlPort, env, flag, keys, bench} to the parent. The bench
// then flips the flag with POST /v1/envs/production/flags/model.fable-5/kill (and /restore) and
// reads the receipts with GET /v1/envs/production/changes/{v}, on the product's own port.
//
// The product's app serves nothing extra. Measurement sits beside it, on a second loopback port:
//   GET /mem                   gc() twice (--expose-gc), then process.memoryUsage(), cpu, connections
//   GET /report?versions=3,4   per version: the tracker's commit time and ack latencies, and the
//                              send loop (the time `publish` took) and commit (libsql batch) times
// The send loop is timed by wrapping the host's broadcaster and the commit by wrapping the
// executor's `commit`: two clock reads per flip each, none per socket, nothing added to src/.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { randomBytes } from "node:crypto";
import type { Broadcaster, CommittedChange } from "../../src/core/broadcaster.js";
import type { Statement } from "../../src/core/db/executor.js";
import { PropagationTracker } from "../../src/node/stream/propagation-tracker.js";
import { startServer } from "../../src/node/server.js";
import { nodeStreamHost, type StreamHub } from "../../src/node/stream/index.js";
import { setupTenant } from "../lib/bench-tenant.mjs";
import { json, memory } from "./measurement.js";
import { watchSendLoops } from "./send-loop.js";

const epochNow = () => performance.timeOrigin + performance.now();

// A temp dir on the machine's disk (os.tmpdir(); on this machine ext4, not tmpfs), so the WAL's
// fsync at each commit is real. Removed on exit.
const dir = mkdtempSync(join(tmpdir(), "killswitch-propagation-"));
const rootToken = randomBytes(24).toString("base64url");
const tracker = new PropagationTracker(); // the host's default tracker (Date.now clock), kept to read raw samples
let hub: StreamHub | null = null;

interface Published {
  /** Epoch ms (performance clock) when `publish` started, and how long it took. */
  at: number;
  loopMs: number;
  committedAt: number;
}
const published = new Map<number, Published>();
const started = new Map<number, Omit<Published, "loopMs">>();
watchSendLoops((v, end) => {
  const start = started.get(v);
  started.delete(v);
  if (start) published.set(v, { ...start, loopMs: end - start.at });
});
const commits: { at: number; ms: number }[] = [];

const server = await startServer({
  databaseUrl: `file:${join(dir, "killswitch.db")}`,
  host: "127.0.0.1",
  port: 0,
  rootToken,
  bootstrap: false,
  stream: (deps) => {
    const host = nodeStreamHost({ tracker, onError: (e) => console.error("stream:", e) })(deps);
    hub = host.broadcaster as StreamHub; // nodeStreamHost's broadcaster is the hub itself
    const inner: Broadcaster = host.broadcaster;
    const timed: Broadcaster = {
      publish(change: CommittedChange) {
        const at = epochNow();
        started.set(change.version, { at, committedAt: change.committedAt });
        inner.publish(change); // tracker commit, serialize, sign + frame once; the socket writes follow in a setImmediate
      },
      keyRevoked: (tenantId, keyId) => inner.keyRevoked(tenantId, keyId),
    };
    return { ...host, broadcaster: timed };
  },
  onError: (e) => console.error("killswitch:", e),
});

// The store holds this same executor object and calls `commit` on it at each write.
const executor = server.database.executor;
const commit = executor.commit.bind(executor);
executor.commit = async (statements: readonly Statement[]) => {
  const at = epochNow();
  try {
    await commit(statements);
  } finally {
    commits.push({ at, ms: epochNow() - at });
  }
};

const { keys, tenant, env, flag } = await setupTenant({ url: server.url, port: server.port }, rootToken, "propagation bench");
const synchronous = (await server.database.client.execute("PRAGMA synchronous")).rows[0]?.[0];
const journal = (await server.database.client.execute("PRAGMA journal_mode")).rows[0]?.[0];

function report(versions: number[]) {
  // Date.now() − performance epoch, here: receipts use Date.now, the bench the performance clock.
  let offset = 0;
  for (let i = 0; i < 200; i++) offset += Date.now() - epochNow();
  offset /= 200;
  return {
    dateMinusEpochMs: +offset.toFixed(3),
    flips: versions.map((v) => {
      const part = tracker.receiptPart(tenant, env, v);
      const pub = published.get(v);
      return {
        v,
        committedAt: part?.committedAt ?? null,
        connected: part?.connected ?? 0,
        acks: part ? Array.from(part.latencies, (x) => +x.toFixed(3)) : [],
        pending: part?.pending.length ?? -1,
        publishAt: pub?.at ?? null,
        loopMs: pub?.loopMs ?? null,
      };
    }),
    commits,
  };
}

/**
 * RSS split into anonymous and file-backed pages (/proc/self/status, bytes). The kernel may drop
 * clean file pages (the node binary, libsql's library) from RSS at any time: RssAnon is the part
 * that connections grow.
 */
function rssParts(): { rssAnon?: number; rssFile?: number } {
  try {
    const status = readFileSync("/proc/self/status", "utf8");
    const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1]) * 1024;
    return { rssAnon: kib("RssAnon"), rssFile: kib("RssFile") };
  } catch {
    return {};
  }
}

const control = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://x");
  if (req.method === "GET" && url.pathname === "/mem") {
    return json(res, 200, { ...memory(hub?.stats().connections ?? 0), ...rssParts() });
  }
  if (req.method === "GET" && url.pathname === "/report") {
    const versions = (url.searchParams.get("versions") ?? "").split(",").filter(Boolean).map(Number);
    return json(res, 200, report(versions));
  }
  json(res, 404, { error: "not found" });
});

control.listen({ host: "127.0.0.1", port: 0 }, () => {
  const info = {
    port: server.port,
    controlPort: (control.address() as AddressInfo).port,
    env,
    flag,
    keys,
    bench: { db: "libsql file (temp dir, ext4)", journal, synchronous },
  };
  if (process.send) process.send(info);
  else console.log(JSON.stringify(info));
});

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  setTimeout(() => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  }, 5000);
  control.close();
  await server.close().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
process.on("disconnect", () => void stop());
process.on("SIGTERM", () => void stop());
