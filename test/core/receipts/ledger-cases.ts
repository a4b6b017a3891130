/**
 * One list of cases for every implementation of the receipts' store port
 * (`ReceiptLedger`, src/core/receipts/receipt-tracker.ts): memory, the Durable
 * Object's storage and the cluster tables each run it
 * (test/core/receipts/memory-ledger.test.ts,
 * test/worker/durable-receipt-ledger.test.ts,
 * test/node/cluster/cluster-ledger.test.ts). Driven through the one tracker,
 * as the hosts drive it; `readBack` is what a reader of the saved state sees
 * (the ledger itself, a woken object, another node).
 */
import { afterEach, describe, expect, it } from "vitest";
import { countConnected, countedFrom, pendingAt, ReceiptTracker, type ReceiptLedger } from "../../../src/core/receipts/receipt-tracker.js";

export interface SavedShare {
  committedAt: number;
  connected: number;
  latencies: number[];
}

export interface LedgerUnderTest {
  ledger: ReceiptLedger;
  /** Writes what the ledger holds back (the flush timer, the mirror's tick); nothing for memory. */
  save(): void | Promise<void>;
  /** A version's record as saved, read by a reader other than this ledger where there is one. */
  readBack(tenantId: string, env: string, version: number): SavedShare | null | Promise<SavedShare | null>;
  close?(): void | Promise<void>;
}

const T = "tenant0001";

export function describeReceiptLedger(name: string, make: (options: { keep: number }) => LedgerUnderTest | Promise<LedgerUnderTest>): void {
  describe(`the receipts' store port: ${name}`, () => {
    let open: LedgerUnderTest | undefined;
    afterEach(async () => {
      await open?.close?.();
      open = undefined;
    });
    const start = async (keep = 256) => {
      open = await make({ keep });
      return { ...open, tracker: new ReceiptTracker(open.ledger) };
    };

    it("keeps the last `keep` versions", async () => {
      const { ledger } = await start(3);
      expect(ledger.keep).toBe(3);
    });

    it("answers null for a version it never kept", async () => {
      const { ledger, save, readBack } = await start();
      expect(ledger.record(T, "production", 1)).toBeNull();
      await save();
      expect(await readBack(T, "production", 1)).toBeNull();
    });

    it("keeps a committed version's record, and its samples once saved", async () => {
      const { ledger, tracker, save, readBack } = await start();
      tracker.commit(T, "production", 1, 1_000, 2);
      expect(ledger.record(T, "production", 1)).toMatchObject({ committedAt: 1_000, connected: 2, acked: 0 });
      await save();
      expect(await readBack(T, "production", 1)).toEqual({ committedAt: 1_000, connected: 2, latencies: [] });
      tracker.ack(T, "production", { firstVersion: 0, appliedVersion: 1 }, 0, 1_030);
      tracker.ack(T, "production", { firstVersion: 0, appliedVersion: 1 }, null, 1_045);
      expect(ledger.record(T, "production", 1)).toMatchObject({ acked: 2 });
      await save();
      expect(await readBack(T, "production", 1)).toEqual({ committedAt: 1_000, connected: 2, latencies: [30, 45] });
    });

    it("saves at most one sample per connection at commit, and none for a version nobody was connected at", async () => {
      const { tracker, save, readBack } = await start();
      tracker.commit(T, "production", 1, 1_000, 1);
      tracker.commit(T, "production", 2, 2_000, 0);
      for (const at of [2_010, 2_020]) tracker.ack(T, "production", { firstVersion: 0, appliedVersion: 2 }, null, at);
      await save();
      expect(await readBack(T, "production", 1)).toEqual({ committedAt: 1_000, connected: 1, latencies: [1_010] });
      expect(await readBack(T, "production", 2)).toEqual({ committedAt: 2_000, connected: 0, latencies: [] });
    });

    it("leaves a connection whose first state was read before a commit and sent after it out of that commit: not counted, not pending, no sample", async () => {
      const { tracker, save, readBack } = await start();
      const loading = { instance: "i-1", app: "a", firstVersion: null, appliedVersion: null };
      tracker.commit(T, "production", 2, 2_000, countConnected([loading], 2));
      // Its snapshot of version 1, read before the commit of 2, is sent now: it counts from 2, as the sessions do.
      const live = { ...loading, firstVersion: countedFrom(1, 2), appliedVersion: null };
      expect(pendingAt([live], 2)).toEqual([]);
      const acked = { ...live, appliedVersion: 2 };
      tracker.ack(T, "production", acked, null, 2_050);
      tracker.commit(T, "production", 3, 3_000, countConnected([acked], 3));
      expect(pendingAt([acked], 3)).toEqual([{ instance: "i-1", app: "a", appliedVersion: 2 }]);
      tracker.ack(T, "production", { ...acked, appliedVersion: 3 }, 2, 3_040);
      await save();
      expect(await readBack(T, "production", 2)).toEqual({ committedAt: 2_000, connected: 0, latencies: [] });
      expect(await readBack(T, "production", 3)).toEqual({ committedAt: 3_000, connected: 1, latencies: [40] });
    });

    it("drops the versions that fall out of the window, and keeps environments apart", async () => {
      const { ledger, tracker, save, readBack } = await start(2);
      for (let v = 1; v <= 4; v++) tracker.commit(T, "production", v, v * 1_000, 1);
      tracker.commit(T, "staging", 1, 500, 3);
      await save();
      expect([1, 2, 3, 4].map((v) => ledger.record(T, "production", v)?.committedAt ?? null)).toEqual([null, null, 3_000, 4_000]);
      expect(await readBack(T, "production", 2)).toBeNull();
      expect(await readBack(T, "production", 4)).toEqual({ committedAt: 4_000, connected: 1, latencies: [] });
      expect(await readBack(T, "staging", 1)).toEqual({ committedAt: 500, connected: 3, latencies: [] });
    });

    it("keeps the samples of a version the window has not dropped while newer ones are committed", async () => {
      const { tracker, save, readBack } = await start(4);
      tracker.commit(T, "production", 1, 1_000, 1);
      tracker.ack(T, "production", { firstVersion: 0, appliedVersion: 1 }, null, 1_020);
      for (let v = 2; v <= 4; v++) tracker.commit(T, "production", v, v * 1_000, 1);
      await save();
      expect(await readBack(T, "production", 1)).toEqual({ committedAt: 1_000, connected: 1, latencies: [20] });
    });
  });
}
