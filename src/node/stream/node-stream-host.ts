/**
 * The Node host's socket layer as one `StreamHostFactory` for `startServer`:
 * the WebSocket hub on `/v1/stream` (sdk keys checked by the store), the
 * propagation tracker, and its HTTP routes.
 *
 *   startServer({ ..., stream: nodeStreamHost() })
 */
import { relayChange } from "../../core/events/operator-events.js";
import { PropagationTracker } from "./propagation-tracker.js";
import { ReceiptFollower } from "../../core/receipts/receipt-follower.js";
import { FrameSigner } from "../../core/signing/frame-signer.js";
import type { Store } from "../../core/store/index.js";
import { propagationRoutes } from "../../http/routes/propagation.js";
import { sdkKeyChecker, type KeyToucher } from "../../http/credentials.js";
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
  return ({ store, cluster, rootToken, touchKey, telemetry, events }) => {
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
      frames: new FrameSigner(store, { onError }),
      tracker,
      authenticate: sdkKeyAuthenticator(store, rootToken, touchKey),
      onError,
      telemetry,
    });
    const propagation = cluster ? cluster.share(tracker) : tracker;
    const coverage = cluster
      ? "the recent versions committed while a live node of this database ran, and the saved ones"
      : "the recent versions committed while this server runs, and the saved ones";
    // Follows every change (this process's and, in a cluster, the others') until its receipt is final, and saves it.
    const follower = new ReceiptFollower({ live: propagation, store, events, onError });
    // What the receipt route answers, and the webhooks' receipt checks read: live while followed, then as saved.
    const receipts = follower.source();
    const answered = { receipt: receipts.receipt, instances: (t: string, env: string, limit?: number) => propagation.instances(t, env, limit) };
    return {
      broadcaster: {
        publish(change) {
          hub.publish(change); // counts who is connected at commit first
          follower.follow({ tenantId: change.tenantId, env: change.env, version: change.version, committedAt: change.committedAt, audit: change.audit });
          if (events) relayChange(events, store.commitsAfterSeq, change, onError);
        },
        keyRevoked: (tenantId, keyId) => hub.keyRevoked(tenantId, keyId),
        resetEnvironment: (tenantId, env, cause, auditSeq) => hub.resetEnvironment?.(tenantId, env, cause, auditSeq),
      },
      propagation: answered,
      extend: (app, deps) => {
        // Upgrades go to the hub before the app; a plain GET gets the shared route's 426.
        streamRoute(app);
        propagationRoutes(app, deps, answered, coverage);
      },
      attach: (server) => server.on("upgrade", hub.handleUpgrade),
      async close() {
        // Before the sockets close: an instance that leaves counts as no longer pending.
        await follower.saveAll();
        await hub.close();
      },
      gauges: {
        sdkConnections: () => hub.connectionsByEnv(),
        changesIncomplete: () => tracker.incompleteVersions(),
      },
    };
  };
}

/**
 * Only an unrevoked sdk key may stream, and only its own environment (src/http/credentials.ts);
 * `touchKey` records its use, the host's one toucher.
 */
export function sdkKeyAuthenticator(store: Store, rootToken: string | undefined, touchKey: KeyToucher): StreamAuthenticator {
  const check = sdkKeyChecker({ store, rootToken, touchKey }, "stream");
  return async (token) => {
    const checked = await check(token);
    if (!checked.ok) return { status: checked.status, detail: checked.detail };
    return { tenantId: checked.key.tenantId, env: checked.key.env, keyId: checked.key.keyId };
  };
}
