import type { Context, Hono, MiddlewareHandler } from "hono";
import type { AuditHead } from "../core/audit/chain.js";
import type { Broadcaster } from "../core/broadcaster.js";
import type { OperatorEvents } from "../core/events/operator-events.js";
import type { Telemetry } from "../core/telemetry.js";
import type { AuthenticatedKey, Store } from "../core/store/index.js";
import type { KeyToucher } from "./credentials.js";

/** Who is calling: the root token (tenant creation only) or a tenant's API key. */
export type Principal = { kind: "root" } | { kind: "key"; key: AuthenticatedKey };

export interface AppEnv {
  Variables: {
    principal: Principal;
    /** The audit entry this request's write appended, once it has committed. */
    sealed: AuditHead | undefined;
    /** This request's id (`x-request-id`), set by the first middleware. */
    requestId: string;
    /** An unexpected failure of this request, logged once with its record (observe-requests.ts). */
    failure: unknown;
  };
}

export type App = Hono<AppEnv>;

export interface AppDeps {
  store: Store;
  /**
   * The host's socket layer. The store already publishes to it after each commit;
   * the app hands it to host routes (`extend`) such as the stream endpoint.
   */
  broadcaster: Broadcaster;
  /**
   * The operator event source `GET /v1/events` streams (the store reports commits
   * to it, the host's socket layer and receipt follower the rest). Default: one
   * made by createApp, which then only carries what the host publishes to it.
   */
  events?: OperatorEvents | undefined;
  /** `KILLSWITCH_ROOT_TOKEN`; without it nobody can create tenants over HTTP. */
  rootToken?: string | undefined;
  /** Milliseconds since the epoch; injectable for tests. */
  clock?: () => number;
  /**
   * Runs work after the response without failing it (lastUsedAt writes):
   * `ctx.waitUntil` on Workers. Default: fire and forget.
   */
  defer?: (task: Promise<unknown>) => void;
  /** Receives errors no response reports (a failed lastUsedAt write, a 500's cause). */
  onError?: (error: unknown) => void;
  /**
   * Records each authenticated key's use (lastUsedAt, `keyToucher`): the host's one
   * toucher, which it hands to its stream too, so that a key used on several routes
   * is written once a minute. Default: one made by createApp from `store`, `clock`,
   * `defer` and `onError`, for the app's routes only.
   */
  touchKey?: KeyToucher;
  /**
   * `GET /readyz`: null when the host can serve reads and writes, else why not
   * (answered 503). Without it, readiness is liveness.
   */
  readiness?: () => Promise<string | null>;
  /**
   * Metrics and logs: each request, commit, OFREP evaluation and refused
   * credential. Without it, only unexpected failures are reported, to `onError`.
   */
  telemetry?: Telemetry;
  /**
   * `GET /metrics`: the process's metrics in the Prometheus text format, for a
   * caller with `Authorization: Bearer <token>` (KILLSWITCH_METRICS_TOKEN on Node).
   * Without it the route answers 404.
   */
  metrics?: MetricsExport;
  /**
   * `GET /v1/metrics`: the calling tenant's metrics, for its admin keys (the
   * Worker host, one Durable Object per tenant). Without it the route answers 404.
   */
  tenantMetrics?: Omit<MetricsExport, "token">;
  /**
   * The client's address as the host knows it (the socket's peer on Node, the
   * edge's `CF-Connecting-IP` on Workers): the console's sign-in limiter counts by it.
   */
  clientAddress?: (c: Context) => string | undefined;
  /** Serves the console's static files at `/console/assets/*`; absent where the host serves them in front of the app. */
  consoleAssets?: MiddlewareHandler;
  /** Adds host-specific routes (the WebSocket stream) after the shared middleware, before the 404 handler. */
  extend?: (app: App, deps: AppDeps) => void;
}

/** Metrics rendered for a scrape. */
export interface MetricsExport {
  /** The bearer token a scraper must send. */
  token: string;
  /** The exposition format's content type (`text/plain; version=0.0.4; charset=utf-8`). */
  contentType: string;
  render(): Promise<string> | string;
}
