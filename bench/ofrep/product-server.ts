/**
 * The product as `npm start` runs it: src/node's `startServer` (the app of
 * `createApp`, on @hono/node-server) on an embedded database file in a
 * temporary directory, listening on 127.0.0.1, port 0. No demo tenant: the
 * benchmark creates its own through the admin API.
 */
import { join } from "node:path";
import { pino } from "pino";
import { startServer } from "../../src/node/server.js";
import { createLogger, flushLogger } from "../../src/node/telemetry/logger.js";

/** What the benchmark needs from a running server. */
export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/**
 * What the product reports as it serves: nothing (no KILLSWITCH_METRICS_TOKEN,
 * no logger), its Prometheus metrics, or the metrics and `npm start`'s JSON log
 * at info (one line per request) into `logFile`, as a log collector would read it.
 */
export type Reporting = { kind: "none" } | { kind: "metrics"; metricsToken: string } | { kind: "metrics+logs"; metricsToken: string; logFile: string };

export async function startProduct(options: { dataDir: string; rootToken: string; reporting?: Reporting }): Promise<RunningServer> {
  const reporting = options.reporting ?? { kind: "none" };
  const logger =
    reporting.kind === "metrics+logs" ? await createLogger({ level: "info", format: "json", destination: pino.destination({ dest: reporting.logFile, sync: false }) }) : undefined;
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    databaseUrl: `file:${join(options.dataDir, "killswitch.db")}`,
    rootToken: options.rootToken,
    bootstrap: false,
    metricsToken: reporting.kind === "none" ? undefined : reporting.metricsToken,
    logger,
  });
  return {
    url: server.url,
    close: async () => {
      await server.close();
      if (logger) await flushLogger(logger);
    },
  };
}
