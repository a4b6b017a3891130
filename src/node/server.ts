/**
 * Starts the Node host: database (migrated), store, app, HTTP server. Used by
 * `main.ts`, the tests and the benchmarks.
 */
import { hash } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { BroadcastRelay } from "./broadcast-relay.js";
import { instanceEventTelemetry, OperatorEvents } from "../core/events/operator-events.js";
import { createStore, type Store } from "../core/store/index.js";
import { combineTelemetry, telemetryOf, type Telemetry } from "../core/telemetry.js";
import { createApp } from "../http/create-app.js";
import { keyToucher } from "../http/credentials.js";
import { bootstrapDemo, type DemoTenant } from "./bootstrap.js";
import { consoleAssets, nodeClientAddress } from "./console-assets.js";
import { joinCluster, type Cluster, type ClusterOptions } from "./cluster/cluster.js";
import { DEFAULTS } from "./config.js";
import { isSharedDatabase, openDatabase, type Database } from "./database.js";
import type { StreamHostFactory } from "./stream-host.js";
import { logTelemetry } from "./telemetry/log-telemetry.js";
import type { Logger } from "./telemetry/logger.js";
import type { PrometheusMetrics } from "./telemetry/prometheus-metrics.js";
import { Background, backgroundObserver, type BackgroundObserver } from "../core/background.js";
import type { RetryPolicy } from "../core/webhooks/backoff.js";
import type { WebhookTransport } from "../core/webhooks/transport.js";
import { BackgroundLoop } from "./background/background-loop.js";
import { nodeTransport } from "./background/node-transport.js";

export interface ServerOptions {
  /** libsql URL; default `file:data/killswitch.db` (relative to the working directory). */
  databaseUrl?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8787; 0 picks a free port. */
  port?: number;
  /** KILLSWITCH_ROOT_TOKEN: the only credential that creates tenants. */
  rootToken?: string | undefined;
  /** Creates the demo tenant on an empty database when no root token is set (default true). */
  bootstrap?: boolean;
  /** The socket layer (`/v1/stream`); without it changes are committed and not pushed. */
  stream?: StreamHostFactory;
  /**
   * Following other processes on the same database (a file or a libsql server):
   * their commits reach this process's sockets and caches, and receipts count
   * their instances. On unless `false`; never for an in-memory database.
   */
  cluster?: ClusterOptions | false;
  clock?: () => number;
  /**
   * How long a write may wait for a write lock another process holds before it
   * answers 503 busy (default 5000 ms).
   */
  writeBudgetMs?: number;
  /** Failures no request reports (a lost lastUsedAt write). Default: the logger's error level, else `console.error`. */
  onError?: (error: unknown) => void;
  /** Receives one line per change of the database's health (default: the logger's warn level, else `console.warn`). */
  log?: (line: string) => void;
  /**
   * One line per request, and per commit and SDK connect at debug (src/node/telemetry/log-telemetry.ts).
   * Without it, nothing is logged but failures.
   */
  logger?: Logger;
  /**
   * KILLSWITCH_METRICS_TOKEN: serves `GET /metrics` (Prometheus) to this bearer token.
   * Without it nothing is counted and the route answers 404.
   */
  metricsToken?: string | undefined;
  /** Webhook delivery: which URLs may be called, how often to retry, how to send (tests may replace it). */
  webhooks?: {
    /** KILLSWITCH_WEBHOOK_ALLOW_PRIVATE: loopback and private addresses allowed. Default false. */
    allowPrivate?: boolean;
    retry?: Partial<RetryPolicy>;
    transport?: WebhookTransport;
  };
  /** The background loop (scheduled changes, webhooks): its longest pause, and metrics hooks. */
  background?: { pollMs?: number; observer?: BackgroundObserver };
}

export interface RunningServer {
  /** `http://host:port`. */
  url: string;
  port: number;
  store: Store;
  database: Database;
  /** Null for an in-memory database, or with `cluster: false`. */
  cluster: Cluster | null;
  /** The demo tenant created by this start, if any: its keys are shown once. */
  demo: DemoTenant | null;
  /**
   * Where metrics and logs are reported: the host's own parts (a scheduler, webhook
   * delivery) report through it too (`webhookDelivered`, `scheduledChangesDue`).
   */
  telemetry: Telemetry;
  /** Stops accepting, ends connections, closes the socket layer and the database. */
  close(): Promise<void>;
}

/** prom-client is loaded only by a server that serves metrics. */
async function prometheusMetrics(): Promise<PrometheusMetrics> {
  const { createPrometheusMetrics } = await import("./telemetry/prometheus-metrics.js");
  return createPrometheusMetrics();
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const logger = options.logger;
  const database = await openDatabase(options.databaseUrl ?? DEFAULTS.databaseUrl, {
    log: options.log ?? (logger && ((line) => logger.warn(line))),
  });
  const onError =
    options.onError ?? (logger ? (error: unknown) => logger.error({ err: error }, "background failure") : (error: unknown) => console.error("killswitch:", error));
  const metrics = options.metricsToken ? await prometheusMetrics() : null;
  const events = new OperatorEvents({ onError });
  const telemetry = combineTelemetry(
    metrics?.telemetry,
    // Without a logger, a request's unexpected failure still reaches onError, once.
    logger ? logTelemetry(logger) : telemetryOf({ requestServed: (record) => record.error !== undefined && onError(record.error) }),
    // SDK instances connecting and leaving, as operator events.
    telemetryOf(instanceEventTelemetry(events)),
  );
  const relay = new BroadcastRelay();
  const policy = { allowPrivate: options.webhooks?.allowPrivate ?? false };
  let loop: BackgroundLoop | undefined;
  const store = createStore({
    events,
    onDue: (at) => loop?.wake(at),
    webhookUrlPolicy: policy,
    db: database.db,
    executor: database.executor,
    broadcaster: relay,
    clock: options.clock,
    writeBudgetMs: options.writeBudgetMs,
    onBackgroundError: onError,
    // Synchronous and one-shot: authenticating a request costs no thread-pool round trip (WebCrypto's digest).
    sha256: (text) => hash("sha256", text, "hex"),
    telemetry,
  });
  const cluster =
    options.cluster !== false && isSharedDatabase(database.url)
      ? await joinCluster({ db: database.db, url: database.url, store, health: database.health, onError }, options.cluster)
      : null;
  // One lastUsedAt throttle for the app's routes and the stream: a key used on both is written once a minute.
  const touchKey = keyToucher({ store, clock: options.clock, onError });
  const stream = options.stream?.({ store, cluster, rootToken: options.rootToken, touchKey, telemetry, events });
  if (metrics && stream?.gauges) metrics.readStreamGauges(stream.gauges);
  if (cluster) {
    relay.target = cluster.broadcaster;
    if (stream) cluster.broadcaster.target = stream.broadcaster;
  } else if (stream) {
    relay.target = stream.broadcaster;
  }

  await cluster?.ready();

  const propagation = stream?.propagation;
  const background = new Background({
    store,
    transport: options.webhooks?.transport ?? nodeTransport,
    policy,
    receipts: propagation ? (tenantId, env, version) => propagation.receipt(tenantId, env, version) : undefined,
    clock: options.clock,
    retry: options.webhooks?.retry,
    observer: options.background?.observer ?? backgroundObserver(telemetry),
    onError,
    onIdleSlot: () => loop?.wake(Date.now()),
  });
  loop = new BackgroundLoop(background, { pollMs: options.background?.pollMs, onError });
  // Before listening: what fell due while the server was down is applied first (late).
  await loop.start();

  const demo = options.bootstrap !== false && !options.rootToken ? await bootstrapDemo(store) : null;
  const app = createApp({
    store,
    broadcaster: relay,
    rootToken: options.rootToken,
    clock: options.clock,
    onError,
    touchKey,
    events,
    readiness: () => database.health.readiness(),
    telemetry,
    metrics: metrics ? { token: options.metricsToken!, contentType: metrics.contentType, render: metrics.render } : undefined,
    clientAddress: nodeClientAddress,
    consoleAssets: consoleAssets(),
    extend: stream?.extend,
  });

  const host = options.host ?? DEFAULTS.host;
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve(
      { fetch: app.fetch, hostname: host, port: options.port ?? DEFAULTS.port, ...stream?.serveOptions },
      () => resolve(s as Server),
    ) as Server;
    s.once("error", reject);
  });
  stream?.attach?.(server);
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      // Event streams end first: they would hold their connections open to the end of the grace.
      events.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // In-flight requests get a moment to finish; then every connection is cut.
      const grace = setTimeout(() => server.closeAllConnections(), 2000);
      await loop?.close();
      await stream?.close();
      await cluster?.close();
      await closed;
      clearTimeout(grace);
      await store.flushKeyUses();
      database.close();
    })());

  return { url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`, port, store, database, cluster, demo, telemetry, close };
}
