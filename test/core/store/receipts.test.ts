/** The database ReceiptStore on a real libsql file. */
import { afterEach, expect, it } from "vitest";
import { mergeReceiptParts } from "../../../src/core/receipts/receipt.js";
import type { SavedReceipt } from "../../../src/core/receipts/receipt-store.js";
import { openTempStore, type TempStore } from "../../support/temp-db.js";

let t: TempStore;
afterEach(() => t?.close());

const saved = (version: number, acked: number, because: SavedReceipt["savedBecause"]): SavedReceipt => ({
  ...mergeReceiptParts([{ version, committedAt: 1_000, connected: 2, latencies: Array.from({ length: acked }, () => 5), pending: acked < 2 ? [{ instance: "i-2", app: "chat", appliedVersion: null }] : [] }]),
  final: true,
  savedAt: new Date(2_000).toISOString(),
  savedBecause: because,
});

it("saves, reads back one or many, keeps tenants and environments apart, and never replaces a complete receipt", async () => {
  t = await openTempStore();
  const pending = saved(3, 1, "shutdown");
  await t.store.saveReceipt("tenant0001", "production", pending);
  expect(await t.store.savedReceipt("tenant0001", "production", 3)).toEqual(pending);
  const complete = saved(3, 2, "complete");
  await t.store.saveReceipt("tenant0001", "production", complete);
  expect(await t.store.savedReceipt("tenant0001", "production", 3)).toEqual(complete);
  await t.store.saveReceipt("tenant0001", "production", saved(3, 1, "shutdown"));
  expect(await t.store.savedReceipt("tenant0001", "production", 3)).toEqual(complete);

  expect(await t.store.savedReceipt("tenant0002", "production", 3)).toBeNull();
  expect(await t.store.savedReceipt("tenant0001", "staging", 3)).toBeNull();
  await t.store.saveReceipt("tenant0001", "production", saved(4, 2, "complete"));
  const many = await t.store.savedReceipts("tenant0001", "production", Array.from({ length: 200 }, (_, i) => i));
  expect([...many.keys()].sort()).toEqual([3, 4]);
});
