/**
 * Receipts and instance lists over every node of a shared database: this node's
 * share from its tracker (exact, now), the other live nodes' from the cluster
 * tables (as of their last tick, at most about 250 ms old). A receipt is not
 * `complete` while a live node has not yet written its share of the version.
 */
import { mergeReceiptParts, type InstanceList, type PropagationReceipt, type PropagationTracker } from "../../core/propagation.js";
import type { PropagationSource } from "../../http/routes/propagation.js";
import { changeRowid, countUnreported, readInstances, readReceiptParts, type ClusterDb } from "./cluster-tables.js";
import type { InstanceMirror } from "./instance-mirror.js";

export function clusterPropagation(db: ClusterDb, tracker: PropagationTracker, mirror: InstanceMirror): PropagationSource {
  return {
    async receipt(tenantId: string, env: string, version: number): Promise<PropagationReceipt | null> {
      const own = tracker.receiptPart(tenantId, env, version);
      // Always asked, even while this node believes it is alone: a node that started
      // since its last tick may hold instances already.
      const others = mirror.others();
      const rowid = await changeRowid(db, tenantId, env, version);
      if (rowid === undefined) return null;
      const parts = await readReceiptParts(db, tenantId, env, version, others);
      if (own) parts.unshift(own);
      if (parts.length === 0) return null;
      const receipt = mergeReceiptParts(parts);
      // A live node that has not written its share yet may hold instances that have not acked.
      if (receipt.complete && (await countUnreported(db, rowid, others)) > 0) receipt.complete = false;
      return receipt;
    },

    async instances(tenantId: string, env: string, limit?: number): Promise<InstanceList> {
      const own = tracker.instances(tenantId, env, limit);
      const others = await readInstances(db, tenantId, env, limit, mirror.others());
      // Both lists are in connection order: merge them, and keep `limit`.
      const items = [...own.items, ...others.items].sort((a, b) => (a.connectedAt < b.connectedAt ? -1 : a.connectedAt > b.connectedAt ? 1 : 0));
      return { items: limit === undefined ? items : items.slice(0, limit), total: own.total + others.total };
    },
  };
}
