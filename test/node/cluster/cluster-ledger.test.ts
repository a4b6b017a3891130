/**
 * The receipts' ledger of a node that shares its database: the shared port
 * cases, with what it saves written to the cluster tables of a real database
 * file (as the instance mirror's tick writes it) and read back as another node
 * reads a share; and its list of changed versions.
 */
import { describe, expect, it } from "vitest";
import { newRecord, ReceiptTracker } from "../../../src/core/receipts/receipt-tracker.js";
import { readReceiptParts } from "../../../src/node/cluster/cluster-tables.js";
import { ClusterLedger } from "../../../src/node/cluster/cluster-ledger.js";
import { heartbeat, writeReceipts } from "../../../src/node/cluster/cluster-writes.js";
import { openTempStore } from "../../support/temp-db.js";
import { describeReceiptLedger } from "../../core/receipts/ledger-cases.js";

const NODE = "n_writer";

describeReceiptLedger("the cluster tables", async ({ keep }) => {
  const t = await openTempStore();
  const ledger = new ClusterLedger({ maxVersions: keep });
  await t.database.client.execute(heartbeat({ id: NODE, startedAt: 1, joinedThrough: 0 }, Date.now(), 0, true));
  return {
    ledger,
    save: async () => {
      await t.database.client.batch(writeReceipts(NODE, ledger.drainVersionUpdates()), "write");
    },
    readBack: async (tenantId, env, version) => {
      const [part] = await readReceiptParts(t.database.db, tenantId, env, version, { self: "n_reader", liveSince: 0 });
      return part ? { committedAt: part.committedAt, connected: part.connected, latencies: Array.from(part.latencies) } : null;
    },
    close: () => t.close(),
  };
});

describe("ClusterLedger", () => {
  it("lists each version committed or sampled since the last drain once, with a copy of its samples", () => {
    const ledger = new ClusterLedger({ maxVersions: 2 });
    const tracker = new ReceiptTracker(ledger);
    tracker.commit("t", "e", 1, 90, 2);
    expect(ledger.drainVersionUpdates()).toEqual([
      { tenantId: "t", env: "e", version: 1, committedAt: 90, connected: 2, latencies: new Float32Array(0), oldestKept: 1 },
    ]);
    expect(ledger.drainVersionUpdates()).toEqual([]);
    tracker.ack("t", "e", { firstVersion: 0, appliedVersion: 1 }, null, 130);
    const [acked] = ledger.drainVersionUpdates();
    tracker.ack("t", "e", { firstVersion: 0, appliedVersion: 1 }, null, 150);
    expect(Array.from(acked!.latencies)).toEqual([40]);
    ledger.committed("t", "e", 2, newRecord(140, 0));
    ledger.committed("t", "e", 3, newRecord(145, 0)); // 1 leaves the window of two, with its unsent sample
    expect(ledger.drainVersionUpdates().map((u) => [u.version, u.oldestKept])).toEqual([
      [2, 2],
      [3, 2],
    ]);
  });

  it("lists nothing for a sample of a version it does not keep", () => {
    const ledger = new ClusterLedger({ maxVersions: 1 });
    ledger.committed("t", "e", 1, newRecord(1, 1));
    ledger.committed("t", "e", 2, newRecord(2, 1)); // 1 leaves the window of one
    ledger.discardUpdates();
    ledger.sampled("t", "e", 1);
    ledger.sampled("t", "elsewhere", 2);
    expect(ledger.drainVersionUpdates()).toEqual([]);
  });

  it("lists every kept version after markAllChanged, and none after discardUpdates", () => {
    const ledger = new ClusterLedger();
    ledger.committed("t", "a", 1, newRecord(1, 1));
    ledger.committed("t", "b", 1, newRecord(1, 0));
    ledger.discardUpdates();
    expect(ledger.drainVersionUpdates()).toEqual([]);
    ledger.markAllChanged();
    expect(ledger.drainVersionUpdates().map((u) => [u.env, u.version])).toEqual([
      ["a", 1],
      ["b", 1],
    ]);
  });
});
