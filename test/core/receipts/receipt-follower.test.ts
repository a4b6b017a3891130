/**
 * The receipt follower on an injected clock and timer, over a live source the
 * test controls: when it saves, what it saves, what it reports, and what the
 * receipt route answers through it.
 */
import { describe, expect, it } from "vitest";
import { OperatorEvents, type OperatorEvent } from "../../../src/core/events/operator-events.js";
import { mergeReceiptParts } from "../../../src/core/receipts/receipt.js";
import { MemoryReceiptStore, type ReceiptStore, type SavedReceipt } from "../../../src/core/receipts/receipt-store.js";
import { ReceiptFollower, type FollowedChange, type FollowerTimer } from "../../../src/core/receipts/receipt-follower.js";
import type { PropagationReceipt } from "../../../src/core/schemas/responses.js";

const T = "tenant0001";
const COMMIT = 1_000_000;

/** A manual timer: `run()` fires what is due. */
function manualTimer(): FollowerTimer & { pending: number; run(): void } {
  const due = new Map<number, () => void>();
  let next = 0;
  return {
    set(callback) {
      due.set(++next, callback);
      return next;
    },
    clear(handle) {
      due.delete(handle as number);
    },
    get pending() {
      return due.size;
    },
    run() {
      const callbacks = [...due.values()];
      due.clear();
      for (const callback of callbacks) callback();
    },
  };
}

function receipt(version: number, connected: number, acked: number, pending: string[]): PropagationReceipt {
  return mergeReceiptParts([
    {
      version,
      committedAt: COMMIT,
      connected,
      latencies: Array.from({ length: acked }, (_, i) => 10 + i),
      pending: pending.map((instance) => ({ instance, app: "chat", appliedVersion: version - 1 })),
    },
  ]);
}

function setup(options: { tickAlways?: boolean; store?: ReceiptStore; journal?: FollowedChange[][] } = {}) {
  let now = COMMIT;
  const live = new Map<number, PropagationReceipt | null>();
  const store = options.store ?? new MemoryReceiptStore();
  const events = new OperatorEvents({ epoch: "test" });
  const timer = manualTimer();
  const journal = options.journal;
  const errors: unknown[] = [];
  const follower = new ReceiptFollower({
    live: { receipt: (_t, _e, v) => live.get(v) ?? null },
    store,
    events,
    now: () => now,
    timer,
    tickAlways: options.tickAlways,
    journal: journal && { load: () => journal.at(-1) ?? [], store: (list) => void journal.push([...list]) },
    onError: (error) => errors.push(error),
  });
  const seen: OperatorEvent[] = [];
  const follow = (version: number) => follower.follow({ tenantId: T, env: "production", version, committedAt: COMMIT, audit: { seq: version, hash: "h" } });
  return {
    follower,
    live,
    store,
    events,
    timer,
    errors,
    seen,
    follow,
    listen: () => events.subscribe(T, (event) => seen.push(event)),
    advance: (ms: number) => (now += ms),
    /** Fires the timer and waits for the tick it starts. */
    tick: async () => {
      timer.run();
      await follower.tick();
    },
  };
}

describe("ReceiptFollower", () => {
  it("saves a receipt once complete, with final: true, and stops following it", async () => {
    const s = setup();
    s.live.set(5, receipt(5, 2, 1, ["i-2"]));
    s.follow(5);
    await s.tick();
    expect(await s.store.savedReceipt(T, "production", 5)).toBeNull();
    expect(s.follower.isFollowing(T, "production", 5)).toBe(true);

    s.live.set(5, receipt(5, 2, 2, []));
    await s.tick();
    expect(await s.store.savedReceipt(T, "production", 5)).toMatchObject({
      version: 5,
      connected: 2,
      acked: 2,
      pending: [],
      status: "complete",
      final: true,
      savedBecause: "complete",
      savedAt: new Date(COMMIT).toISOString(),
      audit: { seq: 5, hash: "h" },
    });
    expect(s.follower.isFollowing(T, "production", 5)).toBe(false);
    expect(s.timer.pending).toBe(0); // nothing left: no more ticks
  });

  it("saves at once a receipt of a change nobody was connected for", async () => {
    const s = setup();
    s.live.set(3, receipt(3, 0, 0, []));
    s.follow(3);
    await s.tick();
    expect(await s.store.savedReceipt(T, "production", 3)).toMatchObject({ status: "no-instances", savedBecause: "no-instances", complete: false });
  });

  it("saves a receipt still pending ten minutes after the commit, naming the pending instances", async () => {
    const s = setup();
    s.live.set(7, receipt(7, 3, 1, ["i-2", "i-3"]));
    s.follow(7);
    s.advance(599_999);
    await s.tick();
    expect(await s.store.savedReceipt(T, "production", 7)).toBeNull();
    expect(s.follower.nextDeadline()).toBe(COMMIT + 600_000);
    s.advance(1);
    await s.tick();
    const saved = await s.store.savedReceipt(T, "production", 7);
    expect(saved).toMatchObject({ status: "pending", savedBecause: "timeout", acked: 1, connected: 3 });
    expect(saved!.pending.map((p) => p.instance)).toEqual(["i-2", "i-3"]);
    expect(s.follower.nextDeadline()).toBeNull();
  });

  it("saves everything it follows at shutdown, as it stands, and follows nothing after", async () => {
    const s = setup();
    s.live.set(8, receipt(8, 2, 1, ["i-2"]));
    s.live.set(9, receipt(9, 2, 2, []));
    s.follow(8);
    s.follow(9);
    await s.follower.saveAll();
    expect(await s.store.savedReceipt(T, "production", 8)).toMatchObject({ savedBecause: "shutdown", status: "pending", pending: [{ instance: "i-2" }] });
    expect(await s.store.savedReceipt(T, "production", 9)).toMatchObject({ savedBecause: "complete" });
    s.follow(10);
    expect(s.follower.isFollowing(T, "production", 10)).toBe(false);
  });

  it("never replaces a saved complete receipt with a later, poorer one", async () => {
    const store = new MemoryReceiptStore();
    const complete = { ...receipt(4, 1, 1, []), final: true, savedAt: "x", savedBecause: "complete" } as SavedReceipt;
    await store.saveReceipt(T, "production", complete);
    await store.saveReceipt(T, "production", { ...receipt(4, 1, 0, ["i-1"]), final: true, savedAt: "y", savedBecause: "shutdown" } as SavedReceipt);
    expect(await store.savedReceipt(T, "production", 4)).toEqual(complete);
  });

  it("keeps a receipt whose save failed, and saves it at a later tick", async () => {
    const inner = new MemoryReceiptStore();
    let failures = 2;
    const flaky: ReceiptStore = {
      saveReceipt: async (...args) => (failures-- > 0 ? Promise.reject(new Error("SQLITE_BUSY")) : inner.saveReceipt(...args)),
      savedReceipt: (...args) => inner.savedReceipt(...args),
      savedReceipts: (...args) => inner.savedReceipts(...args),
    };
    const s = setup({ store: flaky });
    s.live.set(6, receipt(6, 1, 1, []));
    s.follow(6);
    await s.tick();
    await s.tick();
    expect(await inner.savedReceipt(T, "production", 6)).toBeNull();
    await s.tick();
    expect(await inner.savedReceipt(T, "production", 6)).toMatchObject({ status: "complete" });
    expect(s.errors).toEqual([]);
  });

  it("reports progress only while someone listens, and the final receipt once", async () => {
    const s = setup();
    s.live.set(5, receipt(5, 2, 1, ["i-2"]));
    s.follow(5);
    await s.tick();
    expect(s.events.hasSubscribers(T)).toBe(false);
    s.listen();
    await s.tick();
    await s.tick();
    s.live.set(5, receipt(5, 2, 2, []));
    await s.tick();
    await s.tick();
    expect(s.seen.map((e) => (e.type === "receipt" ? `${e.data.status}${e.data.final ? " final" : ""}` : e.type))).toEqual([
      "pending",
      "pending",
      "complete final",
    ]);
    expect(s.seen[0]!.data).toEqual({ env: "production", version: 5, connected: 2, acked: 1, pending: 1, p99: 10, status: "pending", complete: false, final: false });
  });

  it("without tickAlways, ticks only when poked or while someone listens (a Durable Object may hibernate)", async () => {
    const s = setup({ tickAlways: false });
    s.live.set(5, receipt(5, 2, 1, ["i-2"]));
    s.follow(5); // following pokes once
    expect(s.timer.pending).toBe(1);
    await s.tick();
    expect(s.timer.pending).toBe(0);
    s.follower.poke();
    expect(s.timer.pending).toBe(1);
    await s.tick();
    s.listen();
    s.follower.poke();
    await s.tick();
    expect(s.timer.pending).toBe(1); // someone listens: it keeps ticking
  });

  it("comes back from its journal after a wake, and saves what is due", async () => {
    const journal: FollowedChange[][] = [];
    const first = setup({ journal });
    first.live.set(5, receipt(5, 2, 1, ["i-2"]));
    first.follow(5);
    expect(journal.at(-1)).toEqual([{ tenantId: T, env: "production", version: 5, committedAt: COMMIT, audit: { seq: 5, hash: "h" } }]);

    const woken = setup({ journal, tickAlways: false });
    woken.live.set(5, receipt(5, 2, 1, ["i-2"]));
    expect(woken.follower.nextDeadline()).toBe(COMMIT + 600_000);
    woken.advance(600_000);
    await woken.follower.tick();
    expect(await woken.store.savedReceipt(T, "production", 5)).toMatchObject({ savedBecause: "timeout" });
    expect(journal.at(-1)).toEqual([]);
  });

  it("answers the route: live while followed (final: false), saved once final (final: true), null when neither", async () => {
    const s = setup();
    const source = s.follower.source();
    s.live.set(5, receipt(5, 1, 0, ["i-1"]));
    s.follow(5);
    expect(await source.receipt(T, "production", 5)).toMatchObject({ status: "pending", final: false });
    s.live.set(5, receipt(5, 1, 1, []));
    await s.tick();
    s.live.set(5, null); // the live source forgot it (a restart)
    expect(await source.receipt(T, "production", 5)).toMatchObject({ status: "complete", final: true });
    expect(await source.receipt(T, "production", 6)).toBeNull();
  });
});
