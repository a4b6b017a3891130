/**
 * The receipt watcher on a real libsql store with a clock of the test's: a
 * change whose receipt completes queues `change.complete`; one still pending
 * 60 s after its commit queues `change.incomplete` once, and so does one
 * nobody was connected for too; until then the watch is only looked at again.
 */
import { afterEach, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { SYSTEM_ACTOR } from "../../../src/core/actor.js";
import { webhookEvents } from "../../../src/core/db/schema.js";
import type { PropagationReceipt } from "../../../src/core/receipts/receipt.js";
import { INCOMPLETE_AFTER_MS, ReceiptWatcher } from "../../../src/core/webhooks/receipt-watcher.js";
import { openTempStore, type TempStore } from "../../support/temp-db.js";

let t: TempStore;
afterEach(() => t?.close());

const T0 = Date.parse("2026-12-07T17:21:00Z");

function receiptOf(version: number, status: PropagationReceipt["status"], acked: number, connected: number): PropagationReceipt {
  return {
    version,
    committedAt: new Date(T0).toISOString(),
    connected,
    acked,
    pending: Array.from({ length: connected - acked }, (_, i) => ({ instance: `i-${i}`, app: "chat-api" })),
    latencyMs: { p50: acked > 0 ? 40 : null, p99: acked > 0 ? 90 : null, max: acked > 0 ? 90 : null },
    status,
    complete: status === "complete",
  } as PropagationReceipt;
}

async function setUp(receipt: (version: number) => PropagationReceipt | null) {
  let now = T0;
  t = await openTempStore({ clock: () => now });
  const { tenant } = await t.store.createTenant({ name: "watched" });
  await t.store.createFlag(tenant.id, SYSTEM_ACTOR, { key: "model.a", kind: "boolean" });
  const hook = await t.store.webhooks.create(tenant.id, SYSTEM_ACTOR, { url: "https://hooks.example.com/ks", events: ["change.complete", "change.incomplete"] });
  const errors: unknown[] = [];
  const watcher = new ReceiptWatcher({ store: t.store, receipts: (_tenant, _env, version) => receipt(version), clock: () => now, onError: (e) => errors.push(e) });
  const deliveries = async () => (await t.store.webhooks.deliveries(tenant.id, hook.id, { limit: 50 })).items;
  return { tenantId: tenant.id, watcher, deliveries, errors, at: (ms: number) => void (now = T0 + ms) };
}

const kill = (tenantId: string) => t.store.killFlag(tenantId, SYSTEM_ACTOR, "production", "model.a", { reason: "directive", directive: "EXPORT-2026-001" });

describe("ReceiptWatcher", () => {
  it("queues change.complete once the receipt is complete, with the receipt's summary", async () => {
    let status: PropagationReceipt["status"] = "pending";
    const s = await setUp((version) => receiptOf(version, status, status === "complete" ? 2 : 1, 2));
    const { version } = await kill(s.tenantId);
    s.at(1_000);
    await s.watcher.runDue();
    // Pending: looked at again later, nothing queued.
    expect(await t.store.webhooks.nextWatchAt()).toBeGreaterThan(T0 + 1_000);
    expect(await s.deliveries()).toEqual([]);
    status = "complete";
    s.at(3_000);
    await s.watcher.runDue();
    const [delivery] = await s.deliveries();
    expect(delivery).toMatchObject({ type: "change.complete", status: "pending" });
    const [event] = await t.database.db.select().from(webhookEvents).where(eq(webhookEvents.id, delivery!.eventId));
    expect(JSON.parse(event!.payload)).toMatchObject({
      type: "change.complete",
      data: { tenant: s.tenantId, env: "production", version, flag: "model.a", action: "flag.kill", directive: "EXPORT-2026-001", receipt: { status: "complete", connected: 2, acked: 2, pending: 0 } },
    });
    expect(s.errors).toEqual([]);
    // The watch is over: nothing more for this version.
    s.at(INCOMPLETE_AFTER_MS + 5_000);
    await s.watcher.runDue();
    expect((await s.deliveries()).map((d) => d.type)).toEqual(["change.complete"]);
  });

  it("queues change.incomplete once, 60 s after the commit, for a receipt still pending", async () => {
    const s = await setUp((version) => receiptOf(version, "pending", 1, 2));
    await kill(s.tenantId);
    for (const ms of [1_000, 2_000, 4_000, 8_000, 20_000, 40_000, INCOMPLETE_AFTER_MS - 1]) {
      s.at(ms);
      await s.watcher.runDue();
      expect(await s.deliveries(), `at ${ms} ms`).toEqual([]);
    }
    s.at(INCOMPLETE_AFTER_MS);
    await s.watcher.runDue();
    s.at(INCOMPLETE_AFTER_MS + 10_000);
    await s.watcher.runDue();
    expect((await s.deliveries()).map((d) => d.type)).toEqual(["change.incomplete"]);
    expect(await t.store.webhooks.nextWatchAt()).toBeNull();
    expect(s.errors).toEqual([]);
  });

  it("reports a change nobody was connected for, or whose receipt is gone, as incomplete", async () => {
    let unknown = -1;
    const s = await setUp((version) => (version === unknown ? null : receiptOf(version, "no-instances", 0, 0)));
    await kill(s.tenantId);
    unknown = (await t.store.restoreFlag(s.tenantId, SYSTEM_ACTOR, "production", "model.a", { reason: "lifted" })).version;
    s.at(INCOMPLETE_AFTER_MS);
    await s.watcher.runDue();
    const deliveries = await s.deliveries();
    expect(deliveries.map((d) => d.type)).toEqual(["change.incomplete", "change.incomplete"]);
    const receipts = await Promise.all(
      deliveries.map(async (d) => JSON.parse((await t.database.db.select().from(webhookEvents).where(eq(webhookEvents.id, d.eventId)))[0]!.payload).data.receipt.status),
    );
    expect(receipts.sort()).toEqual(["no-instances", "unknown"]);
  });
});
