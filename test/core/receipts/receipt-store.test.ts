/**
 * The receipt store in memory (src/core/receipts/receipt-store.ts): the rules the
 * database store follows too (test/core/store/receipts.test.ts), and copies in and out.
 */
import { expect, it } from "vitest";
import { mergeReceiptParts } from "../../../src/core/receipts/receipt.js";
import { MemoryReceiptStore, type SavedReceipt } from "../../../src/core/receipts/receipt-store.js";

const saved = (version: number, acked: number, because: SavedReceipt["savedBecause"]): SavedReceipt => ({
  ...mergeReceiptParts([{ version, committedAt: 1_000, connected: 2, latencies: Array.from({ length: acked }, () => 5), pending: acked < 2 ? [{ instance: "i-2", app: "chat", appliedVersion: null }] : [] }]),
  final: true,
  savedAt: new Date(2_000).toISOString(),
  savedBecause: because,
});

it("saves, reads back one or many, keeps tenants and environments apart, and never replaces a complete receipt", async () => {
  const store = new MemoryReceiptStore();
  const pending = saved(3, 1, "shutdown");
  await store.saveReceipt("tenant0001", "production", pending);
  expect(await store.savedReceipt("tenant0001", "production", 3)).toEqual(pending);
  const complete = saved(3, 2, "complete");
  await store.saveReceipt("tenant0001", "production", complete);
  expect(await store.savedReceipt("tenant0001", "production", 3)).toEqual(complete);
  await store.saveReceipt("tenant0001", "production", saved(3, 1, "shutdown"));
  expect(await store.savedReceipt("tenant0001", "production", 3)).toEqual(complete);

  expect(await store.savedReceipt("tenant0002", "production", 3)).toBeNull();
  expect(await store.savedReceipt("tenant0001", "staging", 3)).toBeNull();
  expect(await store.savedReceipt("tenant0001", "production", 4)).toBeNull();
  await store.saveReceipt("tenant0001", "production", saved(4, 2, "complete"));
  const many = await store.savedReceipts("tenant0001", "production", [2, 3, 4, 5]);
  expect([...many.entries()]).toEqual([
    [3, complete],
    [4, saved(4, 2, "complete")],
  ]);
});

it("keeps copies: what a caller changes afterwards, in what it saved or what it read, is not saved", async () => {
  const store = new MemoryReceiptStore();
  const receipt = saved(1, 1, "timeout");
  await store.saveReceipt("tenant0001", "production", receipt);
  receipt.pending.length = 0;
  const read = await store.savedReceipt("tenant0001", "production", 1);
  expect(read?.pending).toHaveLength(1);
  read!.pending.length = 0;
  expect((await store.savedReceipt("tenant0001", "production", 1))?.pending).toHaveLength(1);
});
