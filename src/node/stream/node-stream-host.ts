/**
 * The Node host's socket layer as one `StreamHostFactory` for `startServer`:
 * the WebSocket hub on `/v1/stream` (sdk keys checked by the store), the
 * propagation tracker, and its HTTP routes.
 *
 *   startServer({ ..., stream: nodeStreamHost() })
 */
import { PropagationTracker } from "../../core/propagation.js";
import type { Store } from "../../core/store/index.js";
import { propagationRoutes } from "../../http/routes/propagation.js";
import { sdkKeyChecker } from "../../http/credentials.js";
import { streamRoute } from "../../http/routes/stream.js";
import type { StreamHostFactory } from "../stream-host.js";
import type { StreamAuthenticator } from "./stream-auth.js";
import { createStreamHub, type StreamHubOptions } from "./stream-hub.js";

export interface NodeStreamOptions
  extends Pick<StreamHubOptions, "heartbeatMs" | "limits" | "sweepIntervalMs" | "maxPayload" | "maxBufferedBytes" | "now"> {
  /**
   * Default: a tracker keeping the last 256 versions per environment. With a
   * cluster it must record updates (`recordUpdates: true`).
   */
  tracker?: PropagationTracker;
  onError?: (error: unknown) => void;
}

export function nodeStreamHost(options: NodeStreamOptions = {}): StreamHostFactory {
  return ({ store, cluster, rootToken, telemetry }) => {
    const tracker =
      options.tracker ??
      new PropagationTracker({ recordUpdates: cluster !== null, onApplied: telemetry && ((ms) => telemetry.changeApplied(ms / 1000)) });
    const onError = options.onError ?? ((error: unknown) => console.error("killswitch stream:", error));
    const hub = createStreamHub({
      heartbeatMs: options.heartbeatMs,
      limits: options.limits,
      sweepIntervalMs: options.sweepIntervalMs,
      maxPayload: options.maxPayload,
      maxBufferedBytes: options.maxBufferedBytes,
      now: options.now,
      source: store,
      tracker,
      authenticate: sdkKeyAuthenticator(store, rootToken, onError),
      onError,
      telemetry,
    });
    const propagation = cluster ? cluster.share(tracker) : tracker;
    const coverage = cluster
      ? "the recent versions committed while a live node of this database ran"
      : "the recent versions committed while this server runs";
    return {
      broadcaster: hub,
      propagation,
      extend: (app, deps) => {
        // Upgrades go to the hub before the app; a plain GET gets the shared route's 426.
        streamRoute(app);
        propagationRoutes(app, deps, propagation, coverage);
      },
      attach: (server) => server.on("upgrade", hub.handleUpgrade),
      close: () => hub.close(),
      gauges: {
        sdkConnections: () => hub.connectionsByEnv(),
        changesIncomplete: () => tracker.incompleteVersions(),
      },
    };
  };
}

/** Only an unrevoked sdk key may stream, and only its own environment (src/http/credentials.ts). */
export function sdkKeyAuthenticator(store: Store, rootToken: string | undefined, onError: (error: unknown) => void): StreamAuthenticator {
  const check = sdkKeyChecker({ store, rootToken, onError }, "stream");
  return async (token) => {
    const checked = await check(token);
    if (!checked.ok) return { status: checked.status, detail: checked.detail };
    return { tenantId: checked.key.tenantId, env: checked.key.env, keyId: checked.key.keyId };
  };
}
