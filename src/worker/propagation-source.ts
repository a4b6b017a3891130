/**
 * The Worker host's source for the shared propagation routes
 * (src/http/routes/propagation.ts): the core's receipt tracker over the
 * object's ledger (durable-receipt-ledger.ts), with the open sockets'
 * attachments as the connections. One Durable Object serves one tenant, so the
 * tenant id the routes pass is already implied.
 */
import { instanceView, mergeReceiptParts, type InstanceList, type PropagationReceipt } from "../core/receipts/receipt.js";
import { pendingAt, type ReceiptTracker } from "../core/receipts/receipt-tracker.js";
import type { PropagationSource } from "../http/routes/propagation.js";
import type { HibernatingHub } from "./hibernating-hub.js";

export function workerPropagationSource(hub: HibernatingHub, tracker: ReceiptTracker): PropagationSource {
  return {
    receipt: (tenantId, env, version) => receiptOf(hub, tracker, tenantId, env, version),
    instances: (_tenantId, env, limit) => instancesOf(hub, env, limit),
  };
}

function receiptOf(hub: HibernatingHub, tracker: ReceiptTracker, tenantId: string, env: string, version: number): PropagationReceipt | null {
  const part = tracker.part(tenantId, env, version, pendingAt(hub.connections(env), version));
  return part && mergeReceiptParts([part]);
}

function instancesOf(hub: HibernatingHub, env: string, limit = Infinity): InstanceList {
  const all = hub.connections(env);
  const items = all.slice(0, limit).map((c) =>
    instanceView({ instance: c.instance!, app: c.app!, sdk: c.sdk!, connectedAt: c.connectedAt, appliedVersion: c.appliedVersion ?? -1, lastAckAt: c.lastAckAt ?? 0 }),
  );
  return { items, total: all.length };
}
