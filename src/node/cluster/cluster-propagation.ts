/**
 * Receipts and instance lists over every node of a shared database: this node's
 * share from its tracker (exact, now), the other live nodes' from the cluster
 * tables (as of their last tick, at most about 250 ms old). A receipt is
 * "pending", never `complete`, while a live node has not yet written its share
 * of the version.
 */
import { mergeReceiptParts, type InstanceList, type PropagationReceipt } from "../../core/receipts/receipt.js";
import type { PropagationTracker } from "../stream/propagation-tracker.js";
import type { PropagationSource } from "../../http/routes/propagation.js";
import { changeRowid, countDropped, countUnreported, readInstances, readReceiptParts, type ClusterDb } from "./cluster-tables.js";
import type { InstanceMirror } from "./instance-mirror.js";

export function clusterPropagation(db: ClusterDb, tracker: PropagationTracker, mirror: InstanceMirror): PropagationSource {
  return {
    async receipt(tenantId: string, env: string, version: number): Promise<PropagationReceipt | null> {
      // Taken together, with no await between: if this node has not handed the
      // version to its tracker yet, its own sockets may not even have been sent it.
      const own = tracker.receiptPart(tenantId, env, version);
      const seen = mirror.seenThrough();
      // The other nodes are always asked, even while this node believes it is alone:
      // a node that started since its last tick may hold instances already.
      const others = mirror.others();
      const rowid = await changeRowid(db, tenantId, env, version);
      if (rowid === undefined) return null;
      // This node, or a live peer, joined before the version and has seen it, yet holds
      // no share of it: its window of recent versions (the last 256) dropped it. A
      // receipt without that node's instances could claim too much: none, as on one node.
      if (own === null && mirror.joinedThrough < rowid && seen >= rowid) return null;
      if ((await countDropped(db, tenantId, env, version, rowid, others)) > 0) return null;
      // Counted before the shares are read: a node counted as reported had written its
      // share in the same batch, and from then on its pending list only shrinks. Read
      // the other way round, a share written in between would be missed, yet counted.
      const unreported = await countUnreported(db, rowid, others);
      const parts = await readReceiptParts(db, tenantId, env, version, others);
      if (own) parts.unshift(own);
      if (parts.length === 0) return null;
      // A node that has not written (or, this node, not seen) the version may hold instances that have not acked.
      return mergeReceiptParts(parts, unreported > 0 || (own === null && seen < rowid));
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
