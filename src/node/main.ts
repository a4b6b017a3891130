/**
 * `npm start`: the Node host, configured from the environment (see README).
 */
import { findDemoTenant } from "./bootstrap.js";
import { readConfig } from "./config.js";
import { describeDatabaseUrl } from "./database.js";
import { startServer, type RunningServer } from "./server.js";
import { nodeStreamHost } from "./stream/index.js";
import { createLogger, flushLogger } from "./telemetry/logger.js";

async function main(): Promise<void> {
  const config = readConfig();
  const logger = await createLogger({ level: config.logLevel, format: config.logFormat });

  // Installed before anything is printed: whoever reads "listening" may signal at once.
  let server: RunningServer | undefined;
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `${signal}: stopping`);
    (server?.close() ?? Promise.resolve()).then(
      async () => {
        await flushLogger(logger);
        process.exit(0);
      },
      async (error: unknown) => {
        logger.error({ err: error }, "the server did not stop cleanly");
        await flushLogger(logger);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));

  const onError = (error: unknown): void => logger.error({ err: error }, "background failure");
  server = await startServer({
    host: config.host,
    port: config.port,
    databaseUrl: config.databaseUrl,
    rootToken: config.rootToken,
    logger,
    onError,
    metricsToken: config.metricsToken,
    stream: nodeStreamHost({ limits: { maxConnectionsPerKey: config.maxStreamsPerKey }, onError }),
    webhooks: {
      allowPrivate: config.webhookAllowPrivate,
      ...(config.webhookRetryBaseMs === undefined ? {} : { retry: { baseMs: config.webhookRetryBaseMs } }),
    },
  });
  if (stopping) {
    await server.close();
    return;
  }
  const database = describeDatabaseUrl(config.databaseUrl);
  const demoTenant = server.demo?.tenantId ?? (await findDemoTenant(server.database.db));
  const demo = demoTenant === null ? "none" : `${demoTenant}${server.demo ? " (created now)" : ""}`;
  logger.info(
    { url: server.url, port: server.port, database, demoTenant, metrics: config.metricsToken ? "/metrics" : "off" },
    `killswitch listening on ${server.url} (database ${database}; demo tenant: ${demo})`,
  );
  if (server.demo) {
    // The one place a secret is printed: plain text on stderr, not a log line, by the one start that
    // created the demo tenant (no root token, an empty database). docs/operations.md says so.
    process.stderr.write(
      [
        "",
        `Created the demo tenant ${server.demo.tenantId}. Its keys are shown once; keep them:`,
        `  admin key:            ${server.demo.adminKey}`,
        `  sdk key (production): ${server.demo.sdkKey}`,
        "",
        "",
      ].join("\n"),
    );
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
