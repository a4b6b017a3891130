/**
 * The Worker host's source for the shared propagation routes
 * (src/http/routes/propagation.ts). The receipt joins the commit-time record
 * (receipt-book.ts) with the open sockets' attachments, through the core's
 * `mergeReceiptParts`. One Durable Object serves one tenant, so the tenant id
 * the routes pass is already implied.
 */
import { mergeReceiptParts, type InstanceList, type PropagationReceipt } from "../core/propagation.js";
import type { PropagationSource } from "../http/routes/propagation.js";
import type { HibernatingHub } from "./hibernating-hub.js";
import type { ReceiptBook } from "./receipt-book.js";

export function workerPropagationSource(hub: HibernatingHub, book: ReceiptBook): PropagationSource {
  return {
    receipt: (_tenantId, env, version) => receiptOf(hub, book, env, version),
    instances: (_tenantId, env, limit) => instancesOf(hub, env, limit),
  };
}

function receiptOf(hub: HibernatingHub, book: ReceiptBook, env: string, version: number): PropagationReceipt | null {
  const part = book.part(env, version, hub.pending(env, version));
  return part && mergeReceiptParts([part]);
}

function instancesOf(hub: HibernatingHub, env: string, limit = Infinity): InstanceList {
  const all = hub.connections(env);
  const items = all.slice(0, limit).map((c) => ({
    instance: c.instance!,
    app: c.app!,
    sdk: c.sdk!,
    connectedAt: new Date(c.connectedAt).toISOString(),
    appliedVersion: c.appliedVersion,
    lastAckAt: c.lastAckAt === null ? null : new Date(c.lastAckAt).toISOString(),
  }));
  return { items, total: all.length };
}
