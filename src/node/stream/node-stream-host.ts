/**
 * The Node host's socket layer as one `StreamHostFactory` for `startServer`:
 * the WebSocket hub on `/v1/stream` (sdk keys checked by the store), the
 * propagation tracker, and its HTTP routes.
 *
 *   startServer({ ..., stream: nodeStreamHost() })
 */
import { relayChange } from "../../core/events/operator-events.js";
import { PropagationTracker } from "../../core/propagation.js";
import { ReceiptFollower } from "../../core/receipts/receipt-follower.js";
import type { Store } from "../../core/store/index.js";
import { propagationRoutes } from "../../http/routes/propagation.js";
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

/** A key's `lastUsedAt` is written at most this often from stream upgrades (a reconnect storm is not 10,000 writes). */
const TOUCH_INTERVAL_MS = 60_000;
const MAX_TOUCHED_KEYS = 10_000;

export function nodeStreamHost(options: NodeStreamOptions = {}): StreamHostFactory {
  return ({ store, cluster, events }) => {
    const tracker = options.tracker ?? new PropagationTracker({ recordUpdates: cluster !== null });
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
      authenticate: sdkKeyAuthenticator(store, onError),
      onError,
    });
    const propagation = cluster ? cluster.share(tracker) : tracker;
    const coverage = cluster
      ? "the recent versions committed while a live node of this database ran, and the saved ones"
      : "the recent versions committed while this server runs, and the saved ones";
    // Follows every change (this process's and, in a cluster, the others') until its receipt is final, and saves it.
    const follower = new ReceiptFollower({ live: propagation, store, events, onError });
    if (events) {
      tracker.observe((event, tenantId, env, instance) =>
        events.publish(tenantId, "instance", {
          env,
          event,
          instance: instance.instance,
          app: instance.app,
          sdk: instance.sdk,
          at: new Date().toISOString(),
        }),
      );
    }
    return {
      broadcaster: {
        publish(change) {
          hub.publish(change); // counts who is connected at commit first
          follower.follow({ tenantId: change.tenantId, env: change.env, version: change.version, committedAt: change.committedAt, audit: change.audit });
          if (events) relayChange(events, store.commitsAfterSeq, change, onError);
        },
        keyRevoked: (tenantId, keyId) => hub.keyRevoked(tenantId, keyId),
      },
      extend: (app, deps) => {
        // Upgrades go to the hub before the app; a plain GET gets the shared route's 426.
        streamRoute(app);
        const receipts = follower.source();
        propagationRoutes(app, deps, { receipt: receipts.receipt, instances: (t, env, limit) => propagation.instances(t, env, limit) }, coverage);
      },
      attach: (server) => server.on("upgrade", hub.handleUpgrade),
      async close() {
        // Before the sockets close: an instance that leaves counts as no longer pending.
        await follower.saveAll();
        await hub.close();
      },
    };
  };
}

/** Only an unrevoked sdk key may stream, and only its own environment. */
export function sdkKeyAuthenticator(store: Store, onError: (error: unknown) => void): StreamAuthenticator {
  const touched = new Map<string, number>();
  return async (token) => {
    const key = await store.authenticate(token);
    if (!key) return { status: 401, detail: "The key is malformed, unknown or revoked." };
    if (key.role !== "sdk" || key.env === null) {
      return { status: 403, detail: `A stream needs an sdk key; this key is ${key.role}.` };
    }
    const now = Date.now();
    const id = `${key.tenantId}/${key.keyId}`;
    if (now - (touched.get(id) ?? -Infinity) >= TOUCH_INTERVAL_MS) {
      if (touched.size >= MAX_TOUCHED_KEYS) touched.clear();
      touched.set(id, now);
      store.touchKey(key.tenantId, key.keyId, now).catch(onError);
    }
    return { tenantId: key.tenantId, env: key.env, keyId: key.keyId };
  };
}
