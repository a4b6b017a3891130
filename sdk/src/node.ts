/**
 * The Node entry of `@killswitch/sdk` (package.json `exports`, condition `node`):
 * the universal core plus the Node platform — `ws` where Node (20) has no global
 * WebSocket, and the snapshot cache as a file. Browsers, Deno, Workers and
 * bundlers get `index.ts` without this code. The API is the core's.
 *
 * @packageDocumentation
 */
import { open, readFile, rename } from "node:fs/promises";
import { Worker } from "node:worker_threads";
import { createClient as createCore, type ClientOptions, type KillswitchClient } from "./client.js";
import type { Platform } from "./client/platform.js";
import type { Socket } from "./client/transport.js";

export * from "./index.js";

/**
 * The worker of `_parse`: parses the text (or its UTF-8 bytes), then answers its
 * top-level fields but the objects, with the number of pieces to come, and then, one
 * per request, the pieces: the entries of each top-level object (`flags`, `segments`)
 * as lists of about 256 KB of JSON, so that no piece takes long to receive and parse.
 * One piece per request: messages waiting in a port are all delivered in one turn of
 * the receiver's loop. A text that is not a JSON object is answered as `null`: every
 * caller refuses both alike.
 */
const PARSER = `
const { parentPort, workerData } = require("node:worker_threads");
const isObject = (x) => x !== null && typeof x == "object" && !Array.isArray(x);
const o = JSON.parse(Buffer.from(workerData.buffer, workerData.byteOffset, workerData.byteLength).toString());
const head = [];
const pieces = [];
for (const [k, x] of Object.entries(isObject(o) ? o : {})) {
  if (!isObject(x)) head.push([k, x]);
  else {
    let part = [];
    let size = 0;
    for (const e of Object.entries(x)) {
      const json = JSON.stringify(e);
      part.push(json);
      if ((size += json.length) > 262144) pieces.push([k, "[" + part.join() + "]"]), (part = []), (size = 0);
    }
    pieces.push([k, "[" + part.join() + "]"]);
  }
}
parentPort.postMessage(isObject(o) ? [JSON.stringify(head), pieces.length] : ["null", 0]);
if (pieces.length) parentPort.on("message", () => {
  parentPort.postMessage(pieces.shift());
  if (!pieces.length) parentPort.close();
});
`;

/** Sets `o[k] = v` as JSON.parse would: an own data property, also for a "__proto__" key. */
const define = (o: Record<string, unknown>, k: string, v: unknown): void => {
  if (k === "__proto__") Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
};

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A text cut in pieces of `size` characters (about 1 MB), never inside a surrogate pair (a half would be written as U+FFFD). */
function slices(text: string, size = 2 ** 20): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; ) {
    let j = Math.min(i + size, text.length);
    if (j < text.length && (text.charCodeAt(j - 1) & 0xfc00) === 0xd800) j--;
    out.push(text.slice(i, j));
    i = j;
  }
  return out;
}

/** Bytes copied (or characters encoded) per turn of the loop: about 5 ms of work each. */
const SLICE = 2 ** 23;

/**
 * The UTF-8 bytes of a text, or a copy of bytes, in a SharedArrayBuffer that a worker
 * reads without a copy of its own, written a slice per turn of the loop. Handing the
 * worker the bytes themselves (`workerData`) would serialize them, 50 MB in one block of
 * about 100 ms on the loop: the longest stall of a large snapshot.
 */
async function shared(text: string | Uint8Array): Promise<Uint8Array> {
  const out = new Uint8Array(new SharedArrayBuffer(typeof text == "string" ? Buffer.byteLength(text) : text.length));
  if (typeof text == "string") {
    const encoder = new TextEncoder();
    let at = 0;
    for (const piece of slices(text, SLICE / 4)) {
      await nextTurn();
      at += encoder.encodeInto(piece, out.subarray(at)).written;
    }
  } else {
    for (let i = 0; i < text.length; i += SLICE) {
      // The socket has just joined the frame in this turn: the copy starts in the next.
      await nextTurn();
      out.set(text.subarray(i, i + SLICE), i);
    }
  }
  return out;
}

/** Frames longer than this are parsed by `parseLarge` (the core's threshold for `_parse`). */
const LARGE = 1e6;

/**
 * JSON.parse of a large text without holding the loop for the whole parse (about 0.5 s
 * for 50 MB): a worker thread parses it and answers it in pieces, each parsed and added
 * here in a turn of the loop of its own. The worker reads the text's UTF-8 bytes from
 * shared memory, filled here a slice per turn (`shared`). The bytes of a frame are copied,
 * never moved, since the client may keep them (its cache holds frames as received). Where
 * worker threads are missing, the text is parsed here in one block.
 */
async function parseLarge(text: string | Uint8Array): Promise<unknown> {
  let worker: Worker;
  try {
    worker = new Worker(PARSER, { eval: true, workerData: await shared(text) });
  } catch {
    return JSON.parse(typeof text == "string" ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString());
  }
  worker.unref();
  // The worker's next answer; a text that is not JSON fails there, and its SyntaxError is thrown here.
  const answer = <T>(): Promise<T> =>
    new Promise((resolve, reject) => {
      const fail = (e: Error) => reject(e);
      worker.once("error", fail);
      worker.once("message", (m: T) => {
        worker.off("error", fail);
        resolve(m);
      });
    });
  const [head, count] = await answer<[string, number]>();
  const fields = JSON.parse(head) as [string, unknown][] | null;
  if (!fields) return null;
  const o: Record<string, unknown> = {};
  for (const [k, v] of fields) define(o, k, v);
  // One piece per turn of the loop: each answer arrives in a turn of its own.
  for (let i = 0; i < count; i++) {
    worker.postMessage(0);
    const [k, json] = await answer<[string, string]>();
    if (!Object.hasOwn(o, k)) define(o, k, {});
    const target = o[k] as Record<string, unknown>;
    for (const [key, value] of JSON.parse(json) as [string, unknown][]) define(target, key, value);
  }
  return o;
}

const node: Platform = {
  // `ws` is an optional dependency, loaded only on a Node without a global WebSocket.
  // It can set headers, so the key goes in Authorization rather than a subprotocol.
  async _socket() {
    const { WebSocket } = await import("ws");
    return (url, key) => {
      const ws = new WebSocket(url, { headers: { authorization: `Bearer ${key}` } });
      // `ws` hands `onmessage` a text frame decoded: a large one stays bytes instead, which
      // parseLarge moves to its worker (no 50 MB string made on the loop, none copied).
      let onmessage: Socket["onmessage"] = null;
      ws.on("message", (data: Buffer, isBinary) => onmessage?.({ data: isBinary || data.length > LARGE ? data : data.toString() }));
      Object.defineProperty(ws, "onmessage", { get: () => onmessage, set: (fn: Socket["onmessage"]) => (onmessage = fn) });
      return ws as unknown as Socket;
    };
  },
  _parse: parseLarge,
  // A write goes to a temporary file renamed over the old one: a crash mid-write never leaves half a snapshot.
  _file: (path, tmpSuffix) => ({
    get: () =>
      readFile(path, "utf8").catch((e: { code?: string }) => {
        if (e.code === "ENOENT") return null;
        throw e;
      }),
    async set(_key, lines) {
      const tmp = `${path}.${tmpSuffix}.tmp`;
      const file = await open(tmp, "w");
      try {
        // Bytes as they are; a text in slices, each encoded in a turn of its own, so that a
        // 50 MB line is never decoded or encoded whole on the loop. (writeFile on a handle
        // writes at its position, all of it.)
        for (const [i, line] of lines.entries()) {
          if (i) await file.writeFile("\n");
          for (const piece of typeof line == "string" ? slices(line) : [line]) await file.writeFile(piece);
        }
      } finally {
        await file.close();
      }
      await rename(tmp, path);
    },
  }),
};

/**
 * Creates a client (see the core's `createClient`) with the Node platform: `ws` on
 * Node 20, and `cache` may be a file path.
 *
 * @example
 * ```ts
 * import { createClient } from "@killswitch/sdk"; // this entry on Node
 * const client = createClient({ url, sdkKey, cache: ".killswitch.json" });
 * ```
 */
export const createClient = (options: ClientOptions): KillswitchClient => createCore(options, node);
