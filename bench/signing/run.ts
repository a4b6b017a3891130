/**
 * What signed state costs (docs/signing.md):
 *
 * - the server's signature per change: `FrameSigner.patch` for a one-flag change
 *   (serialize, sign with WebCrypto Ed25519, frame), with one key and with two (a
 *   rotation's overlap), and a snapshot of 1,000 and 10,000 flags, signed once per
 *   version; and a signed OFREP answer, paid per request by callers that ask;
 * - the client's verification per frame: the real client (Node entry, in-memory stream
 *   as in bench/sdk-state) applying one-flag patches to a 1,000-flag state, with and
 *   without `publicKey`, timed from the frame's arrival to the `change` event;
 * - the SDK core bundle, minified and gzipped (the same build as `npm run check`).
 *
 *   npx tsx --expose-gc bench/signing/run.ts [--patches 2000]
 */
import { sign as nodeSign, generateKeyPairSync } from "node:crypto";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { ClientOptions, KillswitchClient } from "@killswitch/sdk";
import { createClient } from "../../sdk/src/node.js";
import { buildSdk } from "../../sdk/build.mjs";
import type { CommittedChange } from "../../src/core/broadcaster.js";
import { generateSigningKeyPair, importPrivateKey } from "../../src/core/signing/ed25519.js";
import { FrameSigner } from "../../src/core/signing/frame-signer.js";
import type { SigningKey, SigningState } from "../../src/core/signing/signing-state.js";
import { loadavg } from "node:os";
import { describeMachine, machineLine } from "../eval/machine.js";
import { flagAt, flagKey, patchText, snapshotText } from "../sdk-state/fixture.js";
import { benchStream } from "../sdk-state/stub-socket.js";

const { values: args } = parseArgs({ options: { patches: { type: "string", default: "2000" } } });
const PATCHES = Number(args.patches);
const WARMUP = 200;
const EPOCH = "0000000000010123456789ab";
const TENANT = "benchbench";

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: quantile(s, 0.5), p99: quantile(s, 0.99), max: s.at(-1)! };
};
const us = (ms: number): string => `${(ms * 1000).toFixed(0)} µs`;

async function signingKey(n: number): Promise<SigningKey> {
  const pair = await generateSigningKeyPair();
  return { publicKey: pair.publicKey, n, privateKey: await importPrivateKey(pair.privateKey), retiresAt: Infinity };
}

const change = (v: number): CommittedChange => ({
  tenantId: TENANT,
  env: "production",
  version: v,
  prev: v - 1,
  committedAt: 0,
  flags: { [flagKey(v % 1000)]: flagAt(v % 1000, v, v % 2 === 0) },
  segments: {},
  removed: { flags: [], segments: [] },
  audit: { seq: v, hash: "0".repeat(64) },
});

/** Wall time per call (each awaited before the next, as the hubs sign one change after another), and CPU per call. */
async function timeSerial(n: number, call: (i: number) => Promise<unknown>) {
  for (let i = 0; i < Math.min(WARMUP, n); i++) await call(i);
  (globalThis as { gc?: () => void }).gc?.();
  const wall: number[] = [];
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await call(WARMUP + i);
    wall.push(performance.now() - t);
  }
  const total = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  return { ...stats(wall), cpuPerCall: (cpu.user + cpu.system) / 1000 / n, total };
}

async function serverSide() {
  const one = await signingKey(1);
  const two = [await signingKey(2), one];
  const state = (signers: SigningKey[]): SigningState => ({ tenantId: TENANT, env: "production", epoch: EPOCH, signers });
  const single = new FrameSigner({ signingState: async () => state([one]) });
  const overlap = new FrameSigner({ signingState: async () => state(two) });
  const rows: [string, Awaited<ReturnType<typeof timeSerial>>][] = [];
  rows.push(["patch of one flag, one key", await timeSerial(PATCHES, (i) => single.patch(change(i + 1)))]);
  rows.push(["patch of one flag, two keys (overlap)", await timeSerial(PATCHES, (i) => overlap.patch(change(i + 1)))]);
  // The same patch unsigned: what signing adds to a publish.
  const { unsignedFrames } = await import("../../src/core/stream/stream-frames.js");
  rows.push(["patch of one flag, unsigned (before)", await timeSerial(PATCHES, (i) => unsignedFrames.patch(change(i + 1)))]);
  for (const n of [1_000, 10_000]) {
    const snapshot = JSON.parse(snapshotText(n)) as { flags: never; segments: never };
    const s = { version: 1, flags: snapshot.flags, segments: snapshot.segments, epoch: EPOCH };
    const what = `snapshot of ${n.toLocaleString("en")} flags (${(snapshotText(n).length / 1e6).toFixed(1)} MB), once per version`;
    rows.push([what, await timeSerial(20, () => single.snapshot(TENANT, "production", s))]);
    rows.push([`${what}, unsigned (before)`, await timeSerial(20, () => unsignedFrames.snapshot(TENANT, "production", s))]);
  }
  const request = new TextEncoder().encode(JSON.stringify({ context: { targetingKey: "u1", nationality: "FR" } }));
  const answer = JSON.stringify({ key: "model.m-1", value: true, reason: "DEFAULT", variant: "on", metadata: { version: 1 } });
  rows.push(["OFREP answer (Killswitch-Sign), per request", await timeSerial(PATCHES, () => single.ofrep(TENANT, "production", 1, "/ofrep/v1/evaluate/flags/model.m-1", request, answer))]);
  return rows;
}

/** The server's signed form of a frame, with node:crypto (the client's cost is what is timed). */
function signedText(text: string, privateKey: ReturnType<typeof generateKeyPairSync>["privateKey"], publicKey: string): string {
  const { serverTime: _t, ...payload } = JSON.parse(text) as Record<string, unknown>;
  const json = JSON.stringify({ ...payload, env: "production", epoch: EPOCH, tenant: TENANT });
  const sig = nodeSign(null, Buffer.from(json), privateKey).toString("base64url");
  return `{"serverTime":0,"sig":{${JSON.stringify(publicKey)}:"${sig}"},${json.slice(1)}`;
}

async function clientSide() {
  const pair = generateKeyPairSync("ed25519");
  const publicKey = pair.publicKey.export({ format: "der", type: "spki" }).subarray(-32).toString("base64url");
  const results: [string, ReturnType<typeof stats> & { cpu: number }][] = [];
  for (const pinned of [false, true]) {
    const stream = benchStream();
    const options: ClientOptions = { url: "http://bench.invalid", sdkKey: `ks_${TENANT}_key`, WebSocket: stream.WebSocket, fetch: () => new Promise<Response>(() => {}) };
    const client: KillswitchClient = createClient(pinned ? { ...options, publicKey } : options);
    let applied: () => void = () => {};
    client.on("change", () => applied());
    await stream.opened;
    const frame = (text: string) => (pinned ? signedText(text, pair.privateKey, publicKey) : text);
    stream.deliver(frame(snapshotText(1_000)));
    if ((await client.ready({ timeoutMs: 60_000 })) !== "ready") throw new Error("the snapshot was not applied");
    // Frames are made before the clock runs: only the client's work is timed.
    const texts = Array.from({ length: WARMUP + PATCHES }, (_, i) => frame(patchText(i + 2, { flag: (i * 7_919) % 1_000 })));
    const wall: number[] = [];
    let cpu = 0;
    for (const [i, text] of texts.entries()) {
      if (i === WARMUP) (globalThis as { gc?: () => void }).gc?.();
      const done = new Promise<void>((r) => (applied = r));
      const cpu0 = process.cpuUsage();
      const start = performance.now();
      stream.deliver(text);
      await done;
      if (i >= WARMUP) {
        wall.push(performance.now() - start);
        const used = process.cpuUsage(cpu0);
        cpu += (used.user + used.system) / 1000;
      }
    }
    if (client.version !== WARMUP + PATCHES + 1) throw new Error(`the client is at ${client.version}`);
    await client.close();
    results.push([pinned ? "with publicKey (verified)" : "without publicKey (before)", { ...stats(wall), cpu: cpu / PATCHES }]);
  }
  return results;
}

console.log(`Machine: ${machineLine(describeMachine())}; load average (1 min) at start ${loadavg()[0]!.toFixed(1)}`);
console.log(`Command: npx tsx --expose-gc bench/signing/run.ts --patches ${PATCHES}\n`);

console.log("Server: signing (WebCrypto Ed25519), sequential calls");
console.log("| what | p50 | p99 | CPU per call |");
console.log("| --- | ---: | ---: | ---: |");
for (const [what, r] of await serverSide()) console.log(`| ${what} | ${us(r.p50)} | ${us(r.p99)} | ${us(r.cpuPerCall)} |`);

console.log("\nClient: a one-flag patch on 1,000 flags, frame to `change` event (Node entry)");
console.log("| client | p50 | p99 | CPU per frame |");
console.log("| --- | ---: | ---: | ---: |");
for (const [what, r] of await clientSide()) console.log(`| ${what} | ${us(r.p50)} | ${us(r.p99)} | ${us(r.cpu)} |`);

const size = await buildSdk();
console.log(`\nSDK core bundle (dist/index.js): ${size.minified} B minified, ${size.gzip} B gzip; imports: ${size.imports.join(", ") || "none"}`);
console.log(`Load average (1 min) at the end: ${loadavg()[0]!.toFixed(1)}`);
process.exit(0);
