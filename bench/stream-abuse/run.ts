/**
 * A `resync` flood on one socket, and a kill sent during it, on either host.
 *
 *   npx tsx bench/stream-abuse/run.ts [--host worker|node] [--flags 1500] [--frames 1000] [--repo <checkout>]
 *
 * Starts the host (the Worker under `wrangler dev`, or the Node host in a
 * child process on a fresh database file), creates a tenant whose snapshot is
 * about 290 KB with the default 1,500 flags (the size the flood was first seen with), then:
 *
 * 1. the kill's baseline: five kill/restore flips with one watcher socket,
 *    each timed from the request to its answer and to the watcher's patch;
 * 2. the flood: a second socket sends `frames` `resync` frames at once, and a
 *    kill is sent right after them, timed the same way; the flooder's bytes
 *    and frames are counted until the server closes it (or 15 s pass).
 *
 * `--repo` runs the server from another checkout of the project (e.g. the
 * commit before the limits), with this checkout's client: the same
 * measurement before and after.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { WebSocket } from "ws";
import { startWranglerDev } from "../../test/support/wrangler-dev.js";

const { values } = parseArgs({
  options: {
    host: { type: "string", default: "worker" },
    flags: { type: "string", default: "1500" },
    frames: { type: "string", default: "1000" },
    repo: { type: "string" },
  },
});
const HOST = values.host as "worker" | "node";
const FLAGS = Number(values.flags);
const FRAMES = Number(values.frames);
const REPO = resolve(values.repo ?? fileURLToPath(new URL("../../", import.meta.url)));
const ROOT = `root-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;

interface Target {
  url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

async function startNode(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), "killswitch-abuse-"));
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "src/node/main.ts"], {
    cwd: REPO,
    env: { ...process.env, PORT: String(port), DATABASE_URL: `file:${join(dir, "k.db")}`, KILLSWITCH_ROOT_TOKEN: ROOT },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((done, fail) => {
    child.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("listening") && done());
    child.once("exit", (code) => fail(new Error(`the Node host exited (${code})`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((done) => child.once("exit", done));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startWorker(): Promise<Target> {
  const dev = await startWranglerDev({ config: join(REPO, "wrangler.toml"), vars: { KILLSWITCH_ROOT_TOKEN: ROOT } });
  return { url: dev.url, stop: () => dev.stop() };
}

async function call(url: string, method: string, path: string, token: string, body?: unknown): Promise<any> {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

interface Socket {
  ws: WebSocket;
  bytes: number;
  frames: number;
  closed: Promise<{ code: number; reason: string; at: number }>;
  /** The next frame matching `match`, and when it arrived. */
  waitFor(match: (m: any) => boolean): Promise<{ message: any; at: number }>;
}

async function openSocket(url: string, key: string, instance: string): Promise<Socket> {
  const ws = new WebSocket(`${url.replace(/^http/, "ws")}/v1/stream`, ["killswitch.v1", key], { perMessageDeflate: false });
  const waiters: { match: (m: any) => boolean; done: (r: { message: any; at: number }) => void }[] = [];
  const socket: Socket = {
    ws,
    bytes: 0,
    frames: 0,
    closed: new Promise((done) => ws.once("close", (code, reason) => done({ code, reason: reason.toString(), at: performance.now() }))),
    waitFor: (match) => new Promise((done) => waiters.push({ match, done })),
  };
  ws.on("message", (data: Buffer) => {
    const at = performance.now();
    socket.bytes += data.length;
    socket.frames++;
    const text = data.toString();
    if (text === "pong") return;
    const message = JSON.parse(text);
    const i = waiters.findIndex((w) => w.match(message));
    if (i >= 0) waiters.splice(i, 1)[0]!.done({ message, at });
  });
  await new Promise((done, fail) => {
    ws.once("open", done);
    ws.once("error", fail);
  });
  const first = socket.waitFor((m) => m.t === "snapshot");
  ws.send(JSON.stringify({ t: "hello", protocol: 1, sdk: "bench/1", app: "stream-abuse", instance }));
  await first;
  return socket;
}

/** One flip: ms to the HTTP answer and to the watcher's patch. */
async function flip(url: string, operator: string, watcher: Socket, kill: boolean): Promise<{ answerMs: number; patchMs: number }> {
  const start = performance.now();
  const patch = watcher.waitFor((m) => m.t === "patch" && m.flags["model.flip"]?.enabled === !kill);
  const answer = await call(url, "POST", `/v1/envs/production/flags/model.flip/${kill ? "kill" : "restore"}`, operator, { reason: "bench" });
  const answeredAt = performance.now();
  const { message, at } = await patch;
  if (message.v !== answer.version) throw new Error(`patch ${message.v} for version ${answer.version}`);
  return { answerMs: answeredAt - start, patchMs: at - start };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(2);

async function main(): Promise<void> {
  const target = HOST === "node" ? await startNode() : await startWorker();
  try {
    const { url } = target;
    const created = await call(url, "POST", "/v1/tenants", ROOT, { name: "stream abuse" });
    const admin: string = created.adminKey;
    const sdk = (await call(url, "POST", "/v1/keys", admin, { name: "sdk", role: "sdk", env: "production" })).secret as string;
    const operator = (await call(url, "POST", "/v1/keys", admin, { name: "op", role: "operator" })).secret as string;
    await call(url, "POST", "/v1/flags", admin, { key: "model.flip", kind: "boolean" });
    const description = "x".repeat(900);
    for (let i = 0; i < FLAGS; i++) await call(url, "POST", "/v1/flags", admin, { key: `model.f${i}`, kind: "boolean", description });

    const watcher = await openSocket(url, sdk, "watcher");
    const baseline: { answerMs: number; patchMs: number }[] = [];
    for (let i = 0; i < 6; i++) baseline.push(await flip(url, operator, watcher, i % 2 === 0));

    const flooder = await openSocket(url, sdk, "flooder");
    const snapshotBytes = flooder.bytes;
    flooder.bytes = 0;
    flooder.frames = 0;
    const sentBytes = Buffer.byteLength(JSON.stringify({ t: "resync" })) * FRAMES;
    const floodStart = performance.now();
    for (let i = 0; i < FRAMES; i++) flooder.ws.send(JSON.stringify({ t: "resync" }));
    const during = await flip(url, operator, watcher, true);
    const closed = await Promise.race([flooder.closed, new Promise<null>((done) => setTimeout(() => done(null), 15_000))]);
    const result = {
      host: HOST,
      repo: REPO,
      snapshotKiB: Math.round(snapshotBytes / 1024),
      frames: FRAMES,
      sentKiB: Math.round(sentBytes / 1024),
      flooderReceivedMiB: Number(mib(flooder.bytes)),
      flooderFrames: flooder.frames,
      flooderClosed: closed ? { code: closed.code, reason: closed.reason, afterMs: Math.round(closed.at - floodStart) } : "not within 15 s",
      killBaselineMs: { answer: Math.round(median(baseline.map((b) => b.answerMs))), patch: Math.round(median(baseline.map((b) => b.patchMs))) },
      killDuringFloodMs: { answer: Math.round(during.answerMs), patch: Math.round(during.patchMs) },
    };
    console.log(JSON.stringify(result, null, 2));
    watcher.ws.close();
    flooder.ws.terminate();
  } finally {
    await target.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
