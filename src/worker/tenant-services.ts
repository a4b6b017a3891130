/**
 * Wires one tenant's object to the shared core and app: a drizzle
 * durable-sqlite handle over the object's storage, the executor that
 * commits planned mutations in `transactionSync`, the store, the hub that
 * delivers its changes, and `createApp` with the Worker's own routes.
 */
import { drizzle } from "drizzle-orm/durable-sqlite";
import { schema } from "../core/db/schema.js";
import { instanceEventTelemetry, OperatorEvents } from "../core/events/operator-events.js";
import { ReceiptFollower, type FollowedChange } from "../core/receipts/receipt-follower.js";
import { incompleteCount, lowestBound, ReceiptTracker } from "../core/receipts/receipt-tracker.js";
import { FrameSigner } from "../core/signing/frame-signer.js";
import { createStore, type Store, type StoreOptions } from "../core/store/index.js";
import { combineTelemetry, telemetryOf } from "../core/telemetry.js";
import { DEFAULT_STREAM_LIMITS, parseMaxStreamsPerKey } from "../core/stream/limits.js";
import { createApp } from "../http/create-app.js";
import { keyToucher } from "../http/credentials.js";
import { durableExecutor } from "./durable-executor.js";
import type { Env } from "./env.js";
import { HibernatingHub } from "./hibernating-hub.js";
import { errorField, logLine, workerLogLevel, workerLogTelemetry } from "./json-log.js";
import { PROMETHEUS_CONTENT_TYPE } from "./prometheus-text.js";
import { workerPropagationSource } from "./propagation-source.js";
import { DurableReceiptLedger } from "./durable-receipt-ledger.js";
import { TenantMetrics } from "./tenant-metrics.js";
import { workerRoutes } from "./worker-routes.js";
import { Background, backgroundObserver } from "../core/background.js";
import type { RetryPolicy } from "../core/webhooks/backoff.js";
import { parseAllowPrivate, parseRetryBaseMs } from "../core/webhooks/config.js";
import type { UrlPolicy } from "../core/webhooks/url-policy.js";
import { AlarmClock } from "./alarm-clock.js";
import { fetchTransport } from "./fetch-transport.js";

export interface TenantServices {
  fetch(request: Request): Response | Promise<Response>;
  hub: HibernatingHub;
  store: Store;
  /** The object is no tenant after all (a refused creation): its metrics write nothing more. */
  discard(): void;
  /** The object's alarm fired: the hub's deadlines, the background work, the receipts due; the alarm is set again for the earliest next. */
  alarm(): Promise<void>;
}

/** The object's synchronous KV key holding the changes whose receipts are still followed. */
const FOLLOWED_KEY = "receipts/followed";

export interface TenantServicesOptions {
  ctx: DurableObjectState;
  env: Env;
  tenantId: string;
}

/** Versions a receipt is kept for, per environment (as on Node). */
const KEPT_VERSIONS = 256;

const report = (error: unknown) => logLine("error", "background failure", { err: errorField(error) });

/** The per-key stream limit; a bad value is reported and the default kept, rather than failing every request. */
function maxStreamsPerKey(env: Env): number {
  try {
    return parseMaxStreamsPerKey(env.KILLSWITCH_MAX_STREAMS_PER_KEY);
  } catch (error) {
    report(error);
    return DEFAULT_STREAM_LIMITS.maxConnectionsPerKey;
  }
}

/** The webhook settings; a bad value is reported and the safe default kept. */
function webhookSettings(env: Env): { policy: UrlPolicy; retry: Partial<RetryPolicy> } {
  let allowPrivate = false;
  let baseMs: number | undefined;
  try {
    allowPrivate = parseAllowPrivate(env.KILLSWITCH_WEBHOOK_ALLOW_PRIVATE);
    baseMs = parseRetryBaseMs(env.KILLSWITCH_WEBHOOK_RETRY_BASE_MS);
  } catch (error) {
    report(error);
  }
  return { policy: { allowPrivate }, retry: baseMs === undefined ? {} : { baseMs } };
}

/** Cheap: builds objects only and touches no storage; the object calls it once per life. */
export function createTenantServices({ ctx, env, tenantId }: TenantServicesOptions): TenantServices {
  // The hub reads snapshots from the store, and the store publishes to the hub.
  let store: Store | undefined;
  const metrics = new TenantMetrics(ctx.storage.kv);
  const events = new OperatorEvents({ onError: report });
  let follower: ReceiptFollower | undefined;
  const telemetry = combineTelemetry(
    metrics.telemetry,
    workerLogTelemetry(workerLogLevel(env.LOG_LEVEL)),
    telemetryOf(instanceEventTelemetry(events)),
    // A pending instance that left is no longer waited for: its change may be complete now.
    telemetryOf({ sdkDisconnected: () => follower?.poke() }),
  );
  const tracker = new ReceiptTracker(new DurableReceiptLedger(ctx.storage.kv, { keepVersions: KEPT_VERSIONS }), {
    onApplied: (ms) => telemetry.changeApplied(ms / 1000),
  });
  const clock = new AlarmClock(ctx.storage);
  const wake = (at: number) => void clock.wakeBy(at).catch(report);
  const webhooks = webhookSettings(env);
  const hub = new HibernatingHub(ctx, {
    tenantId,
    source: {
      snapshot: (tenant, environment) => store!.snapshot(tenant, environment),
      changesSince: (tenant, environment, since) => store!.changesSince(tenant, environment, since),
    },
    frames: new FrameSigner({ signingState: (tenant, environment) => store!.signingState(tenant, environment) }, { onError: report }),
    onPublished: (change, connected) => {
      tracker.commit(tenantId, change.env, change.version, change.committedAt, connected);
      follower!.follow({ tenantId, env: change.env, version: change.version, committedAt: change.committedAt, audit: change.audit });
      const due = follower!.nextDeadline();
      if (due !== null) wake(due);
    },
    onAck: (connection, previous, at) => {
      tracker.ack(tenantId, connection.env, connection, previous, at);
      follower!.poke();
    },
    onError: report,
    limits: { maxConnectionsPerKey: maxStreamsPerKey(env) },
    telemetry,
    alarm: clock,
  });
  const options: StoreOptions = {
    events,
    db: drizzle(ctx.storage, { schema }),
    executor: durableExecutor(ctx.storage),
    broadcaster: hub,
    onBackgroundError: report,
    // The id names this object, so a tenant created here takes it.
    newTenantId: () => tenantId,
    telemetry,
    onDue: wake,
    webhookUrlPolicy: webhooks.policy,
  };
  store = createStore(options);
  const live = workerPropagationSource(hub, tracker);
  // An object has no shutdown to hook: a receipt is saved once final (checked after acks and disconnects),
  // and otherwise when the alarm wakes the object ten minutes after the commit; the followed list is in KV.
  follower = new ReceiptFollower({
    live,
    store,
    events,
    tickAlways: false,
    journal: {
      load: () => ctx.storage.kv.get<FollowedChange[]>(FOLLOWED_KEY) ?? [],
      store: (followed) => (followed.length === 0 ? void ctx.storage.kv.delete(FOLLOWED_KEY) : ctx.storage.kv.put(FOLLOWED_KEY, followed)),
    },
    onError: report,
  });
  // What the receipt route answers, and the webhooks' receipt checks read: live while followed, then as saved.
  const receipts = follower.source();
  const propagation = { receipt: receipts.receipt, instances: live.instances };
  const defer = (task: Promise<unknown>) => ctx.waitUntil(task);
  const app = createApp({
    store,
    events,
    broadcaster: hub,
    rootToken: env.KILLSWITCH_ROOT_TOKEN,
    defer,
    onError: report,
    // The API, OFREP and the stream (an upgrade is authenticated by the app here) share it.
    touchKey: keyToucher({ store, defer, onError: report }),
    telemetry,
    // Set by Cloudflare's edge on every request; the Worker passes it on.
    clientAddress: (c) => c.req.header("cf-connecting-ip"),
    tenantMetrics: {
      contentType: PROMETHEUS_CONTENT_TYPE,
      render: async () =>
        metrics.render({
          sdkConnections: hub.connectionsByEnv(),
          changesIncomplete: await incompleteVersions(hub, (name) => Promise.resolve(store!.envVersion(tenantId, name)).catch(() => 0)),
        }),
    },
    extend: workerRoutes((request, opener) => hub.accept(request, opener), propagation),
  });
  const background = new Background({
    store,
    transport: fetchTransport,
    policy: webhooks.policy,
    receipts: (tenant, environment, version) => propagation.receipt(tenant, environment, version),
    retry: webhooks.retry,
    onError: report,
    // A send that ended frees a slot: look for more now. Sends are not awaited by the alarm, so a slow
    // receiver never holds the alarm (and the tenant's scheduled changes) back.
    onIdleSlot: () => wake(Date.now()),
    observer: backgroundObserver(telemetry),
  });
  return {
    fetch: (request) => app.fetch(request),
    hub,
    store,
    discard: () => metrics.discard(),
    async alarm() {
      clock.fired();
      await hub.sweep();
      const next = await background.run();
      if (next !== null) await clock.wakeBy(next);
      await follower!.tick();
      const due = follower!.nextDeadline();
      if (due !== null) await clock.wakeBy(due);
    },
  };
}

/** Versions among the last `KEPT_VERSIONS` of each environment that an open connection, connected at their commit, has not acked. */
async function incompleteVersions(hub: HibernatingHub, currentVersion: (env: string) => Promise<number>): Promise<number> {
  let count = 0;
  for (const [env, connections] of hub.receiptConnections()) {
    const current = await currentVersion(env);
    count += incompleteCount(lowestBound(connections), current, current - KEPT_VERSIONS + 1);
  }
  return count;
}
