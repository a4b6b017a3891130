/**
 * Wires one tenant's object to the shared core and app: a drizzle
 * durable-sqlite handle over the object's storage, the executor that
 * commits planned mutations in `transactionSync`, the store, the hub that
 * delivers its changes, and `createApp` with the Worker's own routes.
 */
import { drizzle } from "drizzle-orm/durable-sqlite";
import { schema } from "../core/db/schema.js";
import { OperatorEvents } from "../core/events/operator-events.js";
import { ReceiptFollower, type FollowedChange } from "../core/receipts/receipt-follower.js";
import { createStore, type Store, type StoreOptions } from "../core/store/index.js";
import { DEFAULT_STREAM_LIMITS, parseMaxStreamsPerKey } from "../core/stream/limits.js";
import { createApp } from "../http/create-app.js";
import { durableExecutor } from "./durable-executor.js";
import type { Env } from "./env.js";
import { HibernatingHub } from "./hibernating-hub.js";
import { workerPropagationSource } from "./propagation-source.js";
import { ReceiptBook } from "./receipt-book.js";
import { workerRoutes } from "./worker-routes.js";

export interface TenantServices {
  fetch(request: Request): Response | Promise<Response>;
  hub: HibernatingHub;
  store: Store;
  follower: ReceiptFollower;
  alarm(): Promise<void>;
}

/** The object's synchronous KV key holding the changes whose receipts are still followed. */
const FOLLOWED_KEY = "receipts/followed";

export interface TenantServicesOptions {
  ctx: DurableObjectState;
  env: Env;
  tenantId: string;
}

const report = (error: unknown) => console.error("killswitch:", error);

/** The per-key stream limit; a bad value is reported and the default kept, rather than failing every request. */
function maxStreamsPerKey(env: Env): number {
  try {
    return parseMaxStreamsPerKey(env.KILLSWITCH_MAX_STREAMS_PER_KEY);
  } catch (error) {
    report(error);
    return DEFAULT_STREAM_LIMITS.maxConnectionsPerKey;
  }
}

/** Cheap: builds objects only and touches no storage; the object calls it once per life. */
export function createTenantServices({ ctx, env, tenantId }: TenantServicesOptions): TenantServices {
  // The hub reads snapshots from the store, and the store publishes to the hub.
  let store: Store | undefined;
  const book = new ReceiptBook(ctx.storage.kv);
  const events = new OperatorEvents({ onError: report });
  let follower: ReceiptFollower | undefined;
  const hub = new HibernatingHub(ctx, {
    tenantId,
    source: {
      snapshot: (tenant, environment) => store!.snapshot(tenant, environment),
      changesSince: (tenant, environment, since) => store!.changesSince(tenant, environment, since),
    },
    onPublished: (change, connected) => {
      book.committed(change.env, change.version, change.committedAt, connected);
      follower!.follow({ tenantId, env: change.env, version: change.version, committedAt: change.committedAt, audit: change.audit });
      wakeFollower();
    },
    onAck: (connection, previous, at) => {
      book.acked(connection.env, connection, previous, at);
      follower!.poke();
    },
    onInstance: (event, connection) => {
      events.publish(tenantId, "instance", {
        env: connection.env,
        event,
        instance: connection.instance ?? "",
        app: connection.app ?? "",
        sdk: connection.sdk ?? "",
        at: new Date().toISOString(),
      });
      if (event === "disconnect") follower!.poke(); // a pending instance that left is no longer waited for
    },
    onError: report,
    limits: { maxConnectionsPerKey: maxStreamsPerKey(env) },
  });
  const options: StoreOptions = {
    events,
    db: drizzle(ctx.storage, { schema }),
    executor: durableExecutor(ctx.storage),
    broadcaster: hub,
    onBackgroundError: report,
    // The id names this object, so a tenant created here takes it.
    newTenantId: () => tenantId,
  };
  store = createStore(options);
  const live = workerPropagationSource(hub, book);
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
  const wakeFollower = (): void => {
    const due = follower!.nextDeadline();
    if (due !== null) hub.alarmBy(due).catch(report);
  };
  const receipts = follower.source();
  const app = createApp({
    store,
    events,
    broadcaster: hub,
    rootToken: env.KILLSWITCH_ROOT_TOKEN,
    defer: (task) => ctx.waitUntil(task),
    onError: report,
    // Set by Cloudflare's edge on every request; the Worker passes it on.
    clientAddress: (c) => c.req.header("cf-connecting-ip"),
    extend: workerRoutes((request, opener) => hub.accept(request, opener), { receipt: receipts.receipt, instances: live.instances }),
  });
  return {
    fetch: (request) => app.fetch(request),
    hub,
    store,
    follower,
    /** The object's alarm: save the receipts now due, and wake again for the next. */
    async alarm() {
      await hub.sweep();
      await follower!.tick();
      wakeFollower();
    },
  };
}
