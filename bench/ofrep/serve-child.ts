/**
 * A benchmark server in its own process, so that the load generator never
 * shares an event loop with it. Prints one line, `bench-server {"url": ...}`
 * (or `{"error": ...}`), once it listens on 127.0.0.1 (an ephemeral port);
 * stops on SIGTERM.
 *
 *   tsx bench/ofrep/serve-child.ts bare
 *   tsx bench/ofrep/serve-child.ts product <data dir> <root token>
 *   tsx bench/ofrep/serve-child.ts product <data dir> <root token> metrics <metrics token>
 *   tsx bench/ofrep/serve-child.ts product <data dir> <root token> metrics+logs <metrics token> <log file>
 */
import { serve } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { createBareApp } from "./bare-app.js";
import { READY } from "./child-server.js";
import { startProduct } from "./product-server.js";

const [target, dataDir, rootToken, reporting, metricsToken, logFile] = process.argv.slice(2);

async function start(): Promise<{ url: string; close: () => Promise<void> }> {
  if (target === "bare") {
    return new Promise((resolve) => {
      const server = serve({ fetch: createBareApp().fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => {
        resolve({
          url: `http://127.0.0.1:${info.port}`,
          close: () => new Promise<void>((done) => server.close(() => done())),
        });
      });
    });
  }
  if (target === "product" && dataDir && rootToken) {
    if (reporting === undefined) return startProduct({ dataDir, rootToken });
    if (reporting === "metrics" && metricsToken) return startProduct({ dataDir, rootToken, reporting: { kind: "metrics", metricsToken } });
    if (reporting === "metrics+logs" && metricsToken && logFile) {
      return startProduct({ dataDir, rootToken, reporting: { kind: "metrics+logs", metricsToken, logFile } });
    }
  }
  throw new Error("usage: serve-child.ts bare | product <data dir> <root token> [metrics <token> | metrics+logs <token> <log file>]");
}

try {
  const server = await start();
  process.stdout.write(`${READY}${JSON.stringify({ url: server.url })}\n`);
  process.once("SIGTERM", () => {
    void server.close().finally(() => process.exit(0));
  });
} catch (e) {
  process.stdout.write(`${READY}${JSON.stringify({ error: e instanceof Error ? e.message : String(e) })}\n`);
  process.exit(1);
}
