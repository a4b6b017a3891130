/**
 * The stream under hostile clients: a socket per case, a few frames each —
 * hellos built from the document's hello schema and often broken, acks of
 * versions never sent, resyncs, pings, text that is no JSON, binary and
 * oversized frames. The oracle: an upgrade is never answered 5xx; a socket the
 * server closes is closed with a protocol code (1007, 1008, 1009), never
 * dropped; otherwise it is still answered (a `ping` gets its `pong`).
 */
import fc from "fast-check";
import type { IncomingMessage } from "node:http";
import { WebSocket } from "ws";
import { mutate, mutationArb, nestedText, serialize, type Mutation } from "./hostile.js";
import type { ServiceDocument } from "./operations.js";
import type { Failure } from "./oracle.js";
import { valuesOf } from "./values.js";
import type { World } from "./world.js";

type Ack = "current" | "next" | "zero" | "negative" | "fraction" | "string" | "infinity" | "unsafe";

export type FrameChoice =
  | { kind: "hello"; value: unknown; mutation: Mutation | undefined }
  | { kind: "ack"; v: Ack }
  | { kind: "text"; text: string }
  | { kind: "binary" }
  | { kind: "oversized" };

export interface SocketCase {
  key: "sdk" | "foreignSdk" | "viewer" | "revoked";
  /** Offer the key as a subprotocol instead of a header. */
  subprotocol: boolean;
  frames: FrameChoice[];
}

/** Close codes a hostile frame may end a socket with: invalid UTF-8, policy, too big. */
const PROTOCOL_CLOSES = new Set([1007, 1008, 1009]);

const TEXTS = [
  "ping",
  '{"t":"resync"}',
  "{nope",
  "null",
  "[]",
  '"hello"',
  '{"t":"subscribe","env":"staging"}',
  '{"t":"hello"}',
  '{"t":"ack","v":1e999}',
  '{"t":"ack","v":1,"__proto__":{"v":2}}',
  '{"t":"resync","x":"\\u0000"}',
  '{"t":"\\ud800"}',
  `{"t":"resync","x":${nestedText(40)}}`,
  `{"t":"resync","x":${nestedText(5000)}}`,
];

export function socketCaseArb(doc: ServiceDocument): fc.Arbitrary<SocketCase> {
  const hello = valuesOf(doc, { instance: fc.constantFrom("i-1", "i-2"), app: fc.constantFrom("fuzz", ""), sdk: fc.constantFrom("fuzz/1") })(doc.hello);
  const frame: fc.Arbitrary<FrameChoice> = fc.oneof(
    { arbitrary: fc.tuple(hello, fc.option(mutationArb, { freq: 2 })).map(([value, mutation]) => ({ kind: "hello" as const, value, mutation: mutation ?? undefined })), weight: 3 },
    { arbitrary: fc.constantFrom<Ack>("current", "next", "zero", "negative", "fraction", "string", "infinity", "unsafe").map((v) => ({ kind: "ack" as const, v })), weight: 3 },
    { arbitrary: fc.constantFrom(...TEXTS).map((text) => ({ kind: "text" as const, text })), weight: 3 },
    { arbitrary: fc.constantFrom<FrameChoice>({ kind: "binary" }, { kind: "oversized" }), weight: 1 },
  );
  const validHello = hello.map((value) => ({ kind: "hello" as const, value, mutation: undefined }));
  return fc.record({
    key: fc.oneof({ arbitrary: fc.constant("sdk" as const), weight: 8 }, { arbitrary: fc.constantFrom("foreignSdk" as const, "viewer" as const, "revoked" as const), weight: 1 }),
    subprotocol: fc.boolean(),
    // Mostly a hello first, so that later frames meet a socket past the handshake.
    frames: fc.tuple(fc.option(validHello, { freq: 4, nil: undefined }), fc.array(frame, { minLength: 1, maxLength: 4 })).map(([first, rest]) => (first ? [first, ...rest] : rest)),
  });
}

function ackText(v: Ack, current: number): string {
  const values: Record<Ack, string> = {
    current: String(current),
    next: String(current + 1),
    zero: "0",
    negative: "-1",
    fraction: "0.5",
    string: '"1"',
    infinity: "1e999",
    unsafe: "9007199254740993",
  };
  return `{"t":"ack","v":${values[v]}}`;
}

/** Runs one case; `settleMs`: how long a socket must stay quiet after its pong to count as answered. */
export async function runSocketCase(world: World, c: SocketCase, settleMs: number): Promise<Failure[]> {
  const keys = { sdk: world.a.sdk, foreignSdk: world.b.sdk, viewer: world.a.viewer, revoked: world.a.revoked };
  const key = keys[c.key];
  const url = `${world.target.baseUrl.replace(/^http/, "ws")}/v1/stream`;
  const ws = c.subprotocol ? new WebSocket(url, ["killswitch.v1", key]) : new WebSocket(url, { headers: { authorization: `Bearer ${key}` } });
  const sent: string[] = [];
  const failures: Failure[] = [];
  const fail = (detail: string) => failures.push({ check: "stream", detail: `${detail}\nkey: ${c.key}${c.subprotocol ? " (subprotocol)" : ""}\nframes sent: ${JSON.stringify(sent.map((f) => (f.length > 300 ? `${f.slice(0, 300)}… (${f.length})` : f)))}` });

  let version = 0;
  let pongs = 0;
  let frames = 0;
  let closed: { code: number; reason: string } | undefined;
  ws.on("message", (data, binary) => {
    const text = String(data);
    if (text === "pong") pongs++;
    else if (!binary) {
      frames++;
      const v = (JSON.parse(text) as { v?: unknown }).v;
      if (typeof v === "number") version = v;
    }
  });
  ws.on("error", () => {}); // the close or the refusal says what happened
  const closing = new Promise<void>((resolve) => ws.once("close", (code, reason) => ((closed = { code, reason: String(reason) }), resolve())));
  const opened = await new Promise<number | "open">((resolve) => {
    ws.once("open", () => resolve("open"));
    ws.once("unexpected-response", (_req, res: IncomingMessage) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
  });
  if (opened !== "open") {
    if (opened >= 500 || opened < 400) fail(`the upgrade was answered ${opened}`);
    return failures;
  }

  const quiet = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const until = async (done: () => boolean, ms: number) => {
    const end = Date.now() + ms;
    while (!done() && closed === undefined && Date.now() < end) await quiet(5);
  };

  for (const f of c.frames) {
    if (closed !== undefined) break;
    if (f.kind === "binary") ws.send(Buffer.from("{}"), { binary: true });
    else if (f.kind === "oversized") ws.send(JSON.stringify({ t: "ack", v: 1, pad: "x".repeat(17 * 1024) }));
    else {
      const text = f.kind === "hello" ? serialize(f.mutation ? mutate(f.value, f.mutation) : f.value) : f.kind === "ack" ? ackText(f.v, version) : f.text;
      sent.push(text);
      ws.send(text);
      // A hello is answered with the state (snapshot or hb) before anything else is worth sending.
      if (f.kind === "hello") {
        const before = frames;
        await until(() => frames > before, 2000);
      }
    }
    if (f.kind === "binary" || f.kind === "oversized") sent.push(f.kind);
  }

  if (closed === undefined) {
    const before = pongs;
    ws.send("ping");
    await until(() => pongs > before, 5000);
    if (closed === undefined && pongs === before) fail("the socket neither answered ping nor closed");
    await quiet(settleMs);
  }
  if (closed !== undefined) {
    if (!PROTOCOL_CLOSES.has(closed.code)) fail(`the server closed the socket with ${closed.code} ${closed.reason}`);
  } else {
    ws.close(1000);
    await closing;
  }
  return failures;
}
