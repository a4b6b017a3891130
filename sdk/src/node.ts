/**
 * The Node entry of `@killswitch/sdk` (package.json `exports`, condition `node`):
 * the universal core plus the Node platform — `ws` where Node (20) has no global
 * WebSocket, and the snapshot cache as a file. Browsers, Deno, Workers and
 * bundlers get `index.ts` without this code. The API is the core's.
 *
 * @packageDocumentation
 */
import { readFile, rename, writeFile } from "node:fs/promises";
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
const o = JSON.parse(typeof workerData == "string" ? workerData : Buffer.from(workerData.buffer, workerData.byteOffset, workerData.byteLength).toString());
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

/** Frames longer than this are parsed by `parseLarge` (the core's threshold for `_parse`). */
const LARGE = 1e6;

/**
 * JSON.parse of a large text without holding the loop for the whole parse (about 0.5 s
 * for 50 MB): a worker thread parses it and answers it in pieces, each parsed and added
 * here in a turn of the loop of its own. The text may come as its UTF-8 bytes (a frame
 * from `ws`): they are copied to the worker (one memcpy), never moved, since the client
 * may keep them (its cache holds frames as received), and decoded there. Where worker
 * threads are missing, the text is parsed here in one block.
 */
async function parseLarge(text: string | Uint8Array): Promise<unknown> {
  // The socket has just joined the frame in this turn: the worker starts in the next.
  await nextTurn();
  let worker: Worker;
  try {
    worker = new Worker(PARSER, { eval: true, workerData: text });
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
    async set(_key, value) {
      const tmp = `${path}.${tmpSuffix}.tmp`;
      await writeFile(tmp, value);
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
