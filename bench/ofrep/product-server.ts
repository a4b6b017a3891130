/**
 * The product as `npm start` runs it: src/node's `startServer` (the app of
 * `createApp`, on @hono/node-server) on an embedded database file in a
 * temporary directory, listening on 127.0.0.1, port 0. No demo tenant: the
 * benchmark creates its own through the admin API.
 */
import { join } from "node:path";
import { startServer } from "../../src/node/server.js";

/** What the benchmark needs from a running server. */
export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export async function startProduct(options: { dataDir: string; rootToken: string }): Promise<RunningServer> {
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    databaseUrl: `file:${join(options.dataDir, "killswitch.db")}`,
    rootToken: options.rootToken,
    bootstrap: false,
  });
  return { url: server.url, close: () => server.close() };
}
