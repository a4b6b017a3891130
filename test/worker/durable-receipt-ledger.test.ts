import { describe, expect, it, vi } from "vitest";
import { mergeReceiptParts } from "../../src/core/receipts/receipt.js";
import { ReceiptTracker } from "../../src/core/receipts/receipt-tracker.js";
import { DurableReceiptLedger, type DurableReceiptLedgerOptions, type ReceiptStorage } from "../../src/worker/durable-receipt-ledger.js";
import { describeReceiptLedger } from "../core/receipts/ledger-cases.js";

const T = "tenant0001";

/** The object's synchronous KV as a Map that counts writes; values are copied as the runtime copies them. */
function memoryStorage() {
  const map = new Map<string, unknown>();
  let writes = 0;
  const storage: ReceiptStorage = {
    get: <T>(key: string) => (map.has(key) ? (structuredClone(map.get(key)) as T) : undefined),
    put: (key, value) => {
      writes++;
      map.set(key, structuredClone(value));
    },
    delete: (key) => {
      writes++;
      return map.delete(key);
    },
  };
  return { storage, map, writes: () => writes };
}

/** The one tracker over a ledger in `storage`, as the object wires it. */
function open(storage: ReceiptStorage, options: DurableReceiptLedgerOptions = {}, onApplied?: (ms: number) => void) {
  const ledger = new DurableReceiptLedger(storage, options);
  return { ledger, tracker: new ReceiptTracker(ledger, { onApplied }) };
}

/** A ledger whose flush timer the test fires by hand. */
function setup(options: { keepVersions?: number; cachedVersions?: number } = {}) {
  const kv = memoryStorage();
  const timers: Array<() => void> = [];
  const { ledger, tracker } = open(kv.storage, { ...options, setTimer: (callback) => timers.push(callback) });
  const fireTimers = () => timers.splice(0).forEach((callback) => callback());
  return { kv, ledger, tracker, timers, fireTimers };
}

const receipt = (tracker: ReceiptTracker, version: number, pending = []) => {
  const part = tracker.part(T, "production", version, pending);
  return part && mergeReceiptParts([part]);
};

// A woken object: a new ledger over the same storage, after the flush.
describeReceiptLedger("the Durable Object's storage", ({ keep }) => {
  const kv = memoryStorage();
  const ledger = new DurableReceiptLedger(kv.storage, { keepVersions: keep, setTimer: () => {} });
  return {
    ledger,
    save: () => ledger.flush(),
    readBack: (tenantId, env, version) => {
      const record = new DurableReceiptLedger(kv.storage).record(tenantId, env, version);
      return record && { committedAt: record.committedAt, connected: record.connected, latencies: Array.from(record.samples.subarray(0, record.acked)) };
    },
  };
});

describe("DurableReceiptLedger", () => {
  it("measures ack time minus commit time for the instances connected at commit", () => {
    const { tracker } = setup();
    tracker.commit(T, "production", 3, 10_000, 3);
    tracker.ack(T, "production", { firstVersion: 2, appliedVersion: 3 }, 2, 10_040);
    tracker.ack(T, "production", { firstVersion: 0, appliedVersion: 3 }, 1, 10_010);
    // Its first state was version 3: it connected after the commit and gives no sample.
    tracker.ack(T, "production", { firstVersion: 3, appliedVersion: 3 }, 3, 10_500);
    expect(receipt(tracker, 3, [])).toEqual({
      version: 3,
      committedAt: new Date(10_000).toISOString(),
      connected: 3,
      acked: 2,
      pending: [],
      latencyMs: { p50: 10, p99: 40, max: 40 },
      status: "complete",
      complete: true,
    });
  });

  it("says no-instances, never complete, for a version committed while nobody was connected", () => {
    const { tracker } = setup();
    tracker.commit(T, "production", 4, 1_000, 0);
    tracker.ack(T, "production", { firstVersion: 4, appliedVersion: 4 }, null, 1_010); // connected after the commit
    expect(receipt(tracker, 4)).toMatchObject({ connected: 0, acked: 0, pending: [], status: "no-instances", complete: false });
  });

  it("does not credit an ack of an older version to the newest commit", () => {
    const { tracker } = setup();
    tracker.commit(T, "production", 1, 1_000, 1);
    tracker.commit(T, "production", 2, 2_000, 1);
    tracker.ack(T, "production", { firstVersion: 0, appliedVersion: 1 }, null, 2_100); // applied 1, not yet 2
    expect(receipt(tracker, 1)).toMatchObject({ acked: 1, latencyMs: { max: 1_100 }, status: "complete" });
    const pending = [{ instance: "i-1", app: "checkout", appliedVersion: 1 }];
    expect(receipt(tracker, 2, pending as never)).toMatchObject({ acked: 0, latencyMs: { max: null }, status: "pending", complete: false });
    expect(tracker.part(T, "production", 2, [])!.latencies).toHaveLength(0);
  });

  it("gives one ack that covers several versions a sample in each", () => {
    const { tracker } = setup();
    tracker.commit(T, "production", 1, 1_000, 1);
    tracker.commit(T, "production", 2, 2_000, 1);
    tracker.ack(T, "production", { firstVersion: 0, appliedVersion: 2 }, 0, 2_500);
    expect(receipt(tracker, 1)?.latencyMs.max).toBe(1_500);
    expect(receipt(tracker, 2)?.latencyMs.max).toBe(500);
    // A repeated or older ack adds nothing.
    tracker.ack(T, "production", { firstVersion: 0, appliedVersion: 2 }, 2, 9_000);
    expect(receipt(tracker, 2)?.acked).toBe(1);
  });

  it("passes the pending instances through and is complete only without them", () => {
    const { tracker } = setup();
    tracker.commit(T, "production", 5, 1_000, 2);
    const pending = [{ instance: "i-2", app: "checkout", appliedVersion: 4 }];
    expect(receipt(tracker, 5, pending as never)).toMatchObject({ connected: 2, acked: 0, pending, status: "pending", complete: false });
  });

  it("writes once per commit and once per flush, however many instances ack", () => {
    const { kv, tracker, timers, fireTimers } = setup();
    tracker.commit(T, "production", 7, 1_000, 10_000);
    const afterCommit = kv.writes();
    expect(afterCommit).toBe(2); // the record, and the delete of the version that fell out
    for (let i = 0; i < 10_000; i++) tracker.ack(T, "production", { firstVersion: 6, appliedVersion: 7 }, 6, 1_000 + (i % 200));
    expect(kv.writes()).toBe(afterCommit);
    expect(timers).toHaveLength(1);
    fireTimers();
    expect(kv.writes()).toBe(afterCommit + 1);
    expect(receipt(tracker, 7)).toMatchObject({ connected: 10_000, acked: 10_000, latencyMs: { p50: 99, max: 199 } });
  });

  it("answers the same receipt from storage alone, as after hibernation", () => {
    const { kv, tracker, fireTimers } = setup();
    tracker.commit(T, "production", 2, 1_000, 2);
    tracker.ack(T, "production", { firstVersion: 1, appliedVersion: 2 }, 1, 1_030);
    fireTimers();
    const before = receipt(tracker, 2);
    const { ledger: woken, tracker: wokenTracker } = open(kv.storage, { setTimer: () => {} });
    expect(receipt(wokenTracker, 2)).toEqual(before);
    // And keeps counting where it left off.
    wokenTracker.ack(T, "production", { firstVersion: 0, appliedVersion: 2 }, 1, 1_050);
    woken.flush();
    expect(open(kv.storage).tracker.part(T, "production", 2, [])).toMatchObject({ connected: 2, latencies: Float64Array.from([30, 50]) });
  });

  it("keeps the last keepVersions versions per environment and answers null for others", () => {
    const { tracker, kv } = setup({ keepVersions: 3 });
    for (let v = 1; v <= 5; v++) tracker.commit(T, "production", v, v * 1_000, 0);
    expect([...kv.map.keys()].sort()).toEqual(["receipt/production/3", "receipt/production/4", "receipt/production/5"]);
    expect(tracker.part(T, "production", 2, [])).toBeNull();
    expect(tracker.part(T, "production", 6, [])).toBeNull();
    expect(tracker.part(T, "staging", 5, [])).toBeNull();
    expect(tracker.part(T, "production", 0, [])).toBeNull();
  });

  it("keeps unsaved samples of a version that memory has already forgotten", () => {
    const { tracker, fireTimers } = setup({ cachedVersions: 1 });
    tracker.commit(T, "production", 1, 1_000, 1);
    tracker.ack(T, "production", { firstVersion: 0, appliedVersion: 1 }, 0, 1_020);
    tracker.commit(T, "production", 2, 2_000, 1); // pushes version 1 out of memory
    tracker.commit(T, "production", 3, 3_000, 1);
    expect(receipt(tracker, 1)?.acked).toBe(1);
    fireTimers();
    expect(open(setup().kv.storage).tracker.part(T, "production", 1, [])).toBeNull(); // a fresh storage knows nothing
    expect(receipt(tracker, 1)?.latencyMs.max).toBe(20);
  });

  it("credits an ack only to versions committed after the connection's first state", () => {
    const { tracker } = setup();
    tracker.commit(T, "production", 3, 1_000, 1); // one instance connected: not this one
    tracker.commit(T, "production", 4, 2_000, 1);
    tracker.ack(T, "production", { firstVersion: 3, appliedVersion: 4 }, null, 2_500);
    expect(receipt(tracker, 3)).toMatchObject({ connected: 1, acked: 0 });
    expect(receipt(tracker, 4)).toMatchObject({ acked: 1, latencyMs: { max: 500 }, status: "complete" });
  });

  it("credits a lagging ack to the versions it covers and nothing newer, then the rest when it catches up", () => {
    const { tracker } = setup();
    for (let v = 1; v <= 4; v++) tracker.commit(T, "production", v, v * 1_000, 1);
    tracker.ack(T, "production", { firstVersion: 0, appliedVersion: 2 }, null, 4_100); // applied 2 of 4
    expect([1, 2, 3, 4].map((v) => receipt(tracker, v)?.acked)).toEqual([1, 1, 0, 0]);
    tracker.ack(T, "production", { firstVersion: 0, appliedVersion: 4 }, 2, 4_300);
    expect([1, 2, 3, 4].map((v) => receipt(tracker, v)?.latencyMs.max)).toEqual([3_100, 2_100, 1_300, 300]);
  });

  it("tells each sample as it is recorded, an ack before its commit time (a clock that stepped back) as 0 ms", () => {
    const samples: number[] = [];
    const { tracker } = open(memoryStorage().storage, { setTimer: () => {} }, (ms) => void samples.push(ms));
    tracker.commit(T, "production", 1, 10_000, 2);
    tracker.ack(T, "production", { firstVersion: 0, appliedVersion: 1 }, 0, 10_025);
    tracker.ack(T, "production", { firstVersion: 0, appliedVersion: 1 }, 0, 9_990);
    expect(samples).toEqual([25, 0]);
  });

  it("never counts more acks than instances connected at commit", () => {
    const { tracker } = setup();
    tracker.commit(T, "production", 5, 1_000, 2);
    for (const at of [1_010, 1_020, 1_030]) tracker.ack(T, "production", { firstVersion: 4, appliedVersion: 5 }, 4, at);
    expect(receipt(tracker, 5)).toMatchObject({ connected: 2, acked: 2, latencyMs: { p50: 10, max: 20 } });
  });

  it("reads a stored record with more samples than instances as at most one per instance", () => {
    const { kv } = setup();
    kv.storage.put("receipt/production/5", { committedAt: 1_000, connected: 1, latencies: [7, 9] });
    expect(open(kv.storage).tracker.part(T, "production", 5, [])).toMatchObject({ connected: 1, latencies: Float64Array.from([7]) });
  });

  it("ignores a connection that has no first state or has acked nothing", () => {
    const { tracker, timers } = setup();
    tracker.commit(T, "production", 1, 1_000, 1);
    tracker.ack(T, "production", { firstVersion: null, appliedVersion: 1 }, null, 1_100);
    tracker.ack(T, "production", { firstVersion: 0, appliedVersion: null }, null, 1_100);
    expect(receipt(tracker, 1)?.acked).toBe(0);
    expect(timers).toHaveLength(0);
  });

  it("schedules the write flushDelayMs after the first unsaved sample, and again after a flush", () => {
    const kv = memoryStorage();
    const delays: number[] = [];
    const timers: Array<() => void> = [];
    const { tracker } = open(kv.storage, { flushDelayMs: 250, setTimer: (callback, ms) => (delays.push(ms), timers.push(callback)) });
    tracker.commit(T, "production", 1, 1_000, 2);
    tracker.ack(T, "production", { firstVersion: 0, appliedVersion: 1 }, null, 1_010);
    tracker.ack(T, "production", { firstVersion: 0, appliedVersion: 1 }, null, 1_020);
    expect(delays).toEqual([250]);
    timers.splice(0).forEach((callback) => callback());
    expect(kv.map.get("receipt/production/1")).toEqual({ committedAt: 1_000, connected: 2, latencies: [10, 20] });
    tracker.commit(T, "production", 2, 2_000, 1);
    tracker.ack(T, "production", { firstVersion: 0, appliedVersion: 2 }, 1, 2_030);
    expect(delays).toEqual([250, 250]);
  });

  it("forgets a version that falls out of the window in memory and in its unsaved samples", () => {
    const { tracker, kv, fireTimers } = setup({ keepVersions: 2 });
    tracker.commit(T, "production", 1, 1_000, 1);
    tracker.ack(T, "production", { firstVersion: 0, appliedVersion: 1 }, null, 1_010); // unsaved
    tracker.commit(T, "production", 2, 2_000, 1);
    tracker.commit(T, "production", 3, 3_000, 1); // 1 falls out
    expect(tracker.part(T, "production", 1, [])).toBeNull();
    fireTimers();
    expect(kv.map.has("receipt/production/1")).toBe(false);
  });

  it("keeps the newest cachedVersions versions in memory: storage is read once for an older one, never for a version that cannot exist", () => {
    const kv = memoryStorage();
    let gets = 0;
    const storage: ReceiptStorage = { ...kv.storage, get: <T,>(key: string) => (gets++, kv.storage.get<T>(key)) };
    const { tracker } = open(storage, { cachedVersions: 2, setTimer: () => {} });
    for (let v = 1; v <= 4; v++) tracker.commit(T, "production", v, v * 1_000, 1);
    expect([tracker.part(T, "production", 3, [])?.committedAt, tracker.part(T, "production", 4, [])?.committedAt]).toEqual([3_000, 4_000]);
    expect(gets).toBe(0);
    expect(tracker.part(T, "production", 2, [])?.committedAt).toBe(2_000); // read from storage, and the oldest in memory: not kept
    expect(gets).toBe(1);
    expect([tracker.part(T, "production", 3, []), tracker.part(T, "production", 4, [])].every((p) => p !== null)).toBe(true);
    expect(gets).toBe(1);
    for (const version of [0, -1, 1.5, Number.MAX_SAFE_INTEGER + 2]) expect(tracker.part(T, "production", version, [])).toBeNull();
    expect(gets).toBe(1);
  });

  it("keeps the newest 16 versions in memory by default", () => {
    const kv = memoryStorage();
    let gets = 0;
    const storage: ReceiptStorage = { ...kv.storage, get: <T,>(key: string) => (gets++, kv.storage.get<T>(key)) };
    const { tracker } = open(storage, { setTimer: () => {} });
    for (let v = 1; v <= 17; v++) tracker.commit(T, "production", v, v * 1_000, 1);
    for (let v = 2; v <= 17; v++) expect(tracker.part(T, "production", v, [])?.committedAt).toBe(v * 1_000);
    expect(gets).toBe(0);
    expect(tracker.part(T, "production", 1, [])?.committedAt).toBe(1_000);
    expect(gets).toBe(1);
  });

  it("answers null for a number that is not a version without reading storage, whoever asks", () => {
    const kv = memoryStorage();
    let gets = 0;
    const storage: ReceiptStorage = { ...kv.storage, get: <T,>(key: string) => (gets++, kv.storage.get<T>(key)) };
    const ledger = new DurableReceiptLedger(storage, { setTimer: () => {} });
    for (const version of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 2]) expect(ledger.record(T, "production", version)).toBeNull();
    expect(gets).toBe(0);
    expect(ledger.record(T, "production", 1)).toBeNull();
    expect(gets).toBe(1);
  });

  it("schedules no write for an ack beyond the instances connected at commit", () => {
    const { tracker, timers, fireTimers } = setup();
    tracker.commit(T, "production", 1, 1_000, 1);
    tracker.ack(T, "production", { firstVersion: 0, appliedVersion: 1 }, null, 1_010);
    fireTimers();
    tracker.ack(T, "production", { firstVersion: 0, appliedVersion: 1 }, null, 1_020);
    expect(timers).toHaveLength(0);
  });

  it("writes unsaved samples 1,000 ms after the first by default", () => {
    vi.useFakeTimers();
    try {
      const kv = memoryStorage();
      const { tracker } = open(kv.storage);
      tracker.commit(T, "production", 1, 1_000, 1);
      tracker.ack(T, "production", { firstVersion: 0, appliedVersion: 1 }, null, 1_040);
      vi.advanceTimersByTime(999);
      expect(kv.map.get("receipt/production/1")).toMatchObject({ latencies: [] });
      vi.advanceTimersByTime(1);
      expect(kv.map.get("receipt/production/1")).toMatchObject({ latencies: [40] });
    } finally {
      vi.useRealTimers();
    }
  });

  it("writes unsaved samples with the runtime's timer by default, flushDelayMs after the first", async () => {
    vi.useFakeTimers();
    try {
      const kv = memoryStorage();
      const { tracker } = open(kv.storage, { flushDelayMs: 500 });
      tracker.commit(T, "production", 1, 1_000, 1);
      tracker.ack(T, "production", { firstVersion: 0, appliedVersion: 1 }, null, 1_040);
      vi.advanceTimersByTime(499);
      expect(kv.map.get("receipt/production/1")).toMatchObject({ latencies: [] });
      vi.advanceTimersByTime(1);
      expect(kv.map.get("receipt/production/1")).toMatchObject({ latencies: [40] });
    } finally {
      vi.useRealTimers();
    }
  });
});
