import type { Server } from "node:http";
import type { Broadcaster } from "../core/broadcaster.js";
import type { OperatorEvents } from "../core/events/operator-events.js";
import type { Store } from "../core/store/index.js";
import type { Telemetry } from "../core/telemetry.js";
import type { App, AppDeps } from "../http/create-app.js";
import type { KeyToucher } from "../http/credentials.js";
import type { PropagationSource } from "../http/routes/propagation.js";
import type { Cluster } from "./cluster/cluster.js";

/**
 * What a socket layer plugs into the Node host: the broadcaster the store
 * publishes to, the routes it adds (`/v1/stream`), extra options for
 * `@hono/node-server`'s serve (`websocket: { server: wss }`), and its shutdown.
 */
export interface StreamHost {
  broadcaster: Broadcaster;
  extend?: (app: App, deps: AppDeps) => void;
  serveOptions?: { websocket?: { server: import("@hono/node-server").WebSocketServerLike } };
  /** The receipts its routes answer: the background loop reads them for `change.complete`. */
  propagation?: PropagationSource;
  /** Called once the HTTP server listens. */
  attach?: (server: Server) => void;
  /** Saves what must survive the process (final receipts), then closes the sockets. */
  close(): Promise<void> | void;
  /** Read at each metrics scrape. */
  gauges?: StreamGauges;
}

export interface StreamGauges {
  /** Open connections per environment name. */
  sdkConnections(): Map<string, number>;
  /** Recent versions an instance connected to this process has not acked. */
  changesIncomplete(): number;
}

/**
 * Builds the socket layer once the store (its StreamSource) exists, and the
 * cluster when other processes may share the database; it publishes instance and
 * receipt events to `events`, and records its keys' use through `touchKey`, the
 * app's own toucher (one lastUsedAt throttle per store).
 */
export type StreamHostFactory = (deps: {
  store: Store;
  cluster: Cluster | null;
  rootToken?: string | undefined;
  touchKey: KeyToucher;
  telemetry?: Telemetry;
  events?: OperatorEvents;
}) => StreamHost;
