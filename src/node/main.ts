/**
 * `npm start`: the Node host, configured from the environment (see README).
 */
import { readConfig } from "./config.js";
import { startServer, type RunningServer } from "./server.js";
import { nodeStreamHost } from "./stream/index.js";

async function main(): Promise<void> {
  const config = readConfig();

  // Installed before anything is printed: whoever reads "listening" may signal at once.
  let server: RunningServer | undefined;
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    (server?.close() ?? Promise.resolve()).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));

  server = await startServer({
    host: config.host,
    port: config.port,
    databaseUrl: config.databaseUrl,
    rootToken: config.rootToken,
    stream: nodeStreamHost({ limits: { maxConnectionsPerKey: config.maxStreamsPerKey } }),
    webhooks: {
      allowPrivate: config.webhookAllowPrivate,
      ...(config.webhookRetryBaseMs === undefined ? {} : { retry: { baseMs: config.webhookRetryBaseMs } }),
    },
  });
  if (stopping) {
    await server.close();
    return;
  }
  console.log(`killswitch listening on ${server.url} (database ${config.databaseUrl})`);
  if (server.demo) {
    console.log(
      [
        "",
        `Created the demo tenant ${server.demo.tenantId}. Its keys are shown once; keep them:`,
        `  admin key:            ${server.demo.adminKey}`,
        `  sdk key (production): ${server.demo.sdkKey}`,
        "",
      ].join("\n"),
    );
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
