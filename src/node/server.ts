/**
 * Starts the Node host: database (migrated), store, app, HTTP server. Used by
 * `main.ts`, the tests and the benchmarks.
 */
import { hash } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { BroadcastRelay } from "./broadcast-relay.js";
import { createStore, type Store } from "../core/store/index.js";
import { createApp } from "../http/create-app.js";
import { bootstrapDemo, type DemoTenant } from "./bootstrap.js";
import { joinCluster, type Cluster, type ClusterOptions } from "./cluster/cluster.js";
import { DEFAULTS } from "./config.js";
import { isSharedDatabase, openDatabase, type Database } from "./database.js";
import type { StreamHostFactory } from "./stream-host.js";

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
  onError?: (error: unknown) => void;
  /** Receives one line per change of the database's health (default `console.warn`). */
  log?: (line: string) => void;
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
  /** Stops accepting, ends connections, closes the socket layer and the database. */
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const database = await openDatabase(options.databaseUrl ?? DEFAULTS.databaseUrl, { log: options.log });
  const onError = options.onError ?? ((error: unknown) => console.error("killswitch:", error));
  const relay = new BroadcastRelay();
  const store = createStore({
    db: database.db,
    executor: database.executor,
    broadcaster: relay,
    clock: options.clock,
    writeBudgetMs: options.writeBudgetMs,
    onBackgroundError: onError,
    // Synchronous and one-shot: authenticating a request costs no thread-pool round trip (WebCrypto's digest).
    sha256: (text) => hash("sha256", text, "hex"),
  });
  const cluster =
    options.cluster !== false && isSharedDatabase(database.url)
      ? await joinCluster({ db: database.db, url: database.url, store, health: database.health, onError }, options.cluster)
      : null;
  const stream = options.stream?.({ store, cluster, rootToken: options.rootToken });
  if (cluster) {
    relay.target = cluster.broadcaster;
    if (stream) cluster.broadcaster.target = stream.broadcaster;
  } else if (stream) {
    relay.target = stream.broadcaster;
  }

  await cluster?.ready();

  const demo = options.bootstrap !== false && !options.rootToken ? await bootstrapDemo(store) : null;
  const app = createApp({
    store,
    broadcaster: relay,
    rootToken: options.rootToken,
    clock: options.clock,
    onError,
    readiness: () => database.health.readiness(),
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
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // In-flight requests get a moment to finish; then every connection is cut.
      const grace = setTimeout(() => server.closeAllConnections(), 2000);
      await stream?.close();
      await cluster?.close();
      await closed;
      clearTimeout(grace);
      await store.flushKeyUses();
      database.close();
    })());

  return { url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`, port, store, database, cluster, demo, close };
}
