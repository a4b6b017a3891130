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
 * The worker of `_parse`: parses the text, then answers it cut into pieces: its
 * top-level fields but the objects, and the entries of each top-level object (`flags`,
 * `segments`) as lists of about 256 KB of JSON each, so that no piece takes long to
 * parse. A text that is not a JSON object is answered as `null`: every caller refuses
 * both alike.
 */
const PARSER = `
const { parentPort, workerData } = require("node:worker_threads");
const isObject = (x) => x !== null && typeof x == "object" && !Array.isArray(x);
const o = JSON.parse(workerData);
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
parentPort.postMessage(isObject(o) ? [JSON.stringify(head), pieces] : ["null", []]);
`;

const node: Platform = {
  // `ws` is an optional dependency, loaded only on a Node without a global WebSocket.
  // It can set headers, so the key goes in Authorization rather than a subprotocol.
  async _socket() {
    const { WebSocket } = await import("ws");
    return (url, key) => new WebSocket(url, { headers: { authorization: `Bearer ${key}` } }) as unknown as Socket;
  },
  // One parse of a large text blocks the loop for its whole length (about 0.5 s for
  // 50 MB): it runs in a worker thread, and the pieces it answers are parsed here, one
  // per turn of the loop. Objects are rebuilt with Object.fromEntries, which defines own
  // properties as JSON.parse does (a "__proto__" key stays data).
  _parse: (text) =>
    new Promise((resolve, reject) => {
      // Where worker threads are missing or fail: parse here, in one block.
      const here = () => {
        try {
          resolve(JSON.parse(text));
        } catch (e) {
          reject(e);
        }
      };
      try {
        const worker = new Worker(PARSER, { eval: true, workerData: text });
        worker.unref();
        worker.once("error", here);
        worker.once("message", async ([head, pieces]: [string, [string, string][]]) => {
          try {
            const fields = JSON.parse(head) as [string, unknown][] | null;
            const objects = new Map<string, [string, unknown][]>();
            for (const [k, json] of pieces) {
              const list = objects.get(k) ?? [];
              objects.set(k, list);
              for (const entry of JSON.parse(json) as [string, unknown][]) list.push(entry);
              await new Promise(setImmediate);
            }
            resolve(fields && Object.fromEntries([...fields, ...[...objects].map(([k, e]) => [k, Object.fromEntries(e)])]));
          } catch (e) {
            reject(e);
          }
        });
      } catch {
        here();
      }
    }),
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
