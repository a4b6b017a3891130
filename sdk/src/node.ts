/**
 * The Node entry of `@killswitch/sdk` (package.json `exports`, condition `node`):
 * the universal core plus the Node platform — `ws` where Node (20) has no global
 * WebSocket, and the snapshot cache as a file. Browsers, Deno, Workers and
 * bundlers get `index.ts` without this code. The API is the core's.
 *
 * @packageDocumentation
 */
import { readFile, rename, writeFile } from "node:fs/promises";
import { createClient as createCore, type ClientOptions, type KillswitchClient } from "./client.js";
import type { Platform } from "./client/platform.js";
import type { Socket } from "./client/transport.js";

export * from "./index.js";

const node: Platform = {
  // `ws` is an optional dependency, loaded only on a Node without a global WebSocket.
  // It can set headers, so the key goes in Authorization rather than a subprotocol.
  async _socket() {
    const { WebSocket } = await import("ws");
    return (url, key) => new WebSocket(url, { headers: { authorization: `Bearer ${key}` } }) as unknown as Socket;
  },
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
