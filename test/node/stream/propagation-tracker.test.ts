import { describe, expect, it } from "vitest";
import { mergeReceiptParts, receiptStatus } from "../../../src/core/receipts/receipt.js";
import { PropagationTracker } from "../../../src/node/stream/propagation-tracker.js";

const T = "tenant0001";
const info = (instance: string, app = "checkout") => ({ instance, app, sdk: "@killswitch/sdk@0.1.0" });

/** A tracker on a hand-driven clock. */
function setup(maxVersions?: number) {
  let clock = 1_000_000;
  const tracker = new PropagationTracker({ now: () => clock, ...(maxVersions ? { maxVersions } : {}) });
  return { tracker, at: (t: number) => (clock = t) };
}

describe("PropagationTracker receipts", () => {
  it("says no-instances, never complete, for a version committed while nobody was connected", () => {
    const { tracker } = setup();
    tracker.commit(T, "production", 5, 1_000);
    const late = tracker.connect(T, "production", info("late")); // connected after the commit: not counted
    tracker.ack(late, 5);
    expect(tracker.receipt(T, "production", 5)).toEqual({
      version: 5,
      committedAt: new Date(1_000).toISOString(),
      connected: 0,
      acked: 0,
      pending: [],
      latencyMs: { p50: null, p99: null, max: null },
      status: "no-instances",
      complete: false,
    });
  });

  it("says pending while a connected instance has not applied the version, complete once it has", () => {
    const { tracker } = setup();
    const a = tracker.connect(T, "production", info("a"));
    tracker.commit(T, "production", 1, 1_000);
    expect(tracker.receipt(T, "production", 1)).toMatchObject({ status: "pending", complete: false });
    tracker.ack(a, 1);
    expect(tracker.receipt(T, "production", 1)).toMatchObject({ status: "complete", complete: true });
  });

  it("does not credit an ack of an older version to the newest commit", () => {
    const { tracker, at } = setup();
    const a = tracker.connect(T, "production", info("a"));
    tracker.commit(T, "production", 1, 1_000);
    tracker.commit(T, "production", 2, 1_010);
    at(1_040);
    tracker.ack(a, 1); // the instance has applied 1, not yet 2
    expect(tracker.receipt(T, "production", 1)).toMatchObject({ acked: 1, status: "complete", latencyMs: { max: 40 } });
    expect(tracker.receipt(T, "production", 2)).toMatchObject({
      acked: 0,
      pending: [{ instance: "a", app: "checkout", appliedVersion: 1 }],
      status: "pending",
      complete: false,
    });
    expect(tracker.latencies(T, "production", 2)).toEqual([]);
  });

  it("counts the instances connected at commit time and measures ack time minus commit time", () => {
    const { tracker, at } = setup();
    const a = tracker.connect(T, "production", info("a"));
    const b = tracker.connect(T, "production", info("b"));
    const c = tracker.connect(T, "production", info("c"));
    tracker.commit(T, "production", 7, 2_000_000);
    at(2_000_010);
    tracker.ack(a, 7);
    at(2_000_030);
    tracker.ack(b, 7);

    const r = tracker.receipt(T, "production", 7)!;
    expect(r.version).toBe(7);
    expect(r.committedAt).toBe(new Date(2_000_000).toISOString());
    expect(r.connected).toBe(3);
    expect(r.acked).toBe(2);
    expect(r.pending).toEqual([{ instance: "c", app: "checkout", appliedVersion: null }]);
    expect(r.latencyMs).toEqual({ p50: 10, p99: 30, max: 30 });
    expect(r.complete).toBe(false);

    at(2_000_100);
    tracker.ack(c, 7);
    const done = tracker.receipt(T, "production", 7)!;
    expect(done.complete).toBe(true);
    expect(done.pending).toEqual([]);
    expect(done.latencyMs).toEqual({ p50: 30, p99: 100, max: 100 });
  });

  it("no longer waits for an instance that disconnected, but keeps the acks of those that left", () => {
    const { tracker, at } = setup();
    const a = tracker.connect(T, "production", info("a"));
    const b = tracker.connect(T, "production", info("b"));
    tracker.commit(T, "production", 3, 5_000);
    at(5_020);
    tracker.ack(a, 3);
    tracker.disconnect(a);
    expect(tracker.receipt(T, "production", 3)!.complete).toBe(false);

    tracker.disconnect(b);
    const r = tracker.receipt(T, "production", 3)!;
    expect(r).toMatchObject({ connected: 2, acked: 1, pending: [], complete: true });
    expect(r.latencyMs.max).toBe(20);
  });

  it("does not count an instance that connected after the commit, even once it acks", () => {
    const { tracker, at } = setup();
    const early = tracker.connect(T, "production", info("early"));
    tracker.commit(T, "production", 4, 9_000);
    const late = tracker.connect(T, "production", info("late"));
    at(9_050);
    tracker.ack(late, 4);
    let r = tracker.receipt(T, "production", 4)!;
    expect(r).toMatchObject({ connected: 1, acked: 0, complete: false });
    expect(r.pending.map((p) => p.instance)).toEqual(["early"]);
    expect(r.latencyMs).toEqual({ p50: null, p99: null, max: null });

    tracker.ack(early, 4);
    r = tracker.receipt(T, "production", 4)!;
    expect(r).toMatchObject({ connected: 1, acked: 1, complete: true });
  });

  it("treats a reconnection as a new connection: it does not hold up older versions", () => {
    const { tracker } = setup();
    const first = tracker.connect(T, "production", info("same-id"));
    tracker.commit(T, "production", 2, 100);
    tracker.disconnect(first);
    tracker.connect(T, "production", info("same-id"));
    expect(tracker.receipt(T, "production", 2)).toMatchObject({ connected: 1, acked: 0, pending: [], complete: true });
  });

  it("credits each version once per instance: a later ack does not count again for a version already acked", () => {
    const { tracker, at } = setup();
    const a = tracker.connect(T, "production", info("a"));
    const b = tracker.connect(T, "production", info("b"));
    tracker.commit(T, "production", 1, 1_000);
    tracker.commit(T, "production", 2, 1_010);
    at(1_020);
    tracker.ack(a, 1);
    at(1_030);
    tracker.ack(a, 2);
    // b has applied neither: version 1 holds one ack of two, not a second one of a's.
    expect(tracker.receipt(T, "production", 1)).toMatchObject({ connected: 2, acked: 1, pending: [{ instance: "b" }], status: "pending" });
    expect(tracker.latencies(T, "production", 1)).toEqual([20]);
    expect(tracker.latencies(T, "production", 2)).toEqual([20]);
    tracker.ack(b, 2);
    expect(tracker.latencies(T, "production", 1)).toEqual([20, 30]);
    expect(tracker.receipt(T, "production", 1)).toMatchObject({ acked: 2, complete: true });
  });

  it("keeps the first record of a version committed again (a replay), and ignores a commit older than the newest", () => {
    const { tracker } = setup();
    tracker.connect(T, "production", info("a"));
    tracker.commit(T, "production", 2, 1_000);
    tracker.connect(T, "production", info("b"));
    tracker.commit(T, "production", 2, 5_000); // replayed after a restart of the feed
    expect(tracker.receipt(T, "production", 2)).toMatchObject({ committedAt: new Date(1_000).toISOString(), connected: 1 });
    expect(tracker.incompleteVersions()).toBe(1); // one version kept, not two records of it
    tracker.commit(T, "production", 1, 6_000); // out of order
    expect(tracker.receipt(T, "production", 1)).toBeNull();
    expect(tracker.incompleteVersions()).toBe(1);
    tracker.commit(T, "production", 3, 7_000);
    expect(tracker.receipt(T, "production", 3)).toMatchObject({ committedAt: new Date(7_000).toISOString(), connected: 2 });
    expect(tracker.incompleteVersions()).toBe(2);
  });

  it("credits one ack of a later version to every version it covers, once", () => {
    const { tracker, at } = setup();
    const a = tracker.connect(T, "production", info("a"));
    tracker.commit(T, "production", 10, 1_000);
    tracker.commit(T, "production", 11, 1_010);
    tracker.commit(T, "production", 12, 1_020);
    at(1_050);
    tracker.ack(a, 12);
    tracker.ack(a, 11); // stale ack: changes nothing, and the instance stays at 12
    expect(tracker.instances(T, "production").items[0]!.appliedVersion).toBe(12);
    expect(tracker.receipt(T, "production", 12)).toMatchObject({ pending: [], complete: true });
    tracker.ack(a, 12); // repeated ack: no second sample
    expect(tracker.receipt(T, "production", 10)).toMatchObject({ acked: 1, complete: true, latencyMs: { max: 50 } });
    expect(tracker.receipt(T, "production", 11)).toMatchObject({ acked: 1, latencyMs: { max: 40 } });
    expect(tracker.receipt(T, "production", 12)).toMatchObject({ acked: 1, latencyMs: { max: 30 } });
    expect(tracker.latencies(T, "production", 12)).toEqual([30]);
  });

  it("keeps environments and tenants apart", () => {
    const { tracker } = setup();
    const a = tracker.connect(T, "production", info("a"));
    tracker.connect(T, "staging", info("s"));
    tracker.connect("tenant0002", "production", info("other"));
    tracker.commit(T, "production", 1, 0);
    tracker.ack(a, 1);
    expect(tracker.receipt(T, "production", 1)).toMatchObject({ connected: 1, acked: 1, complete: true });
    expect(tracker.receipt(T, "staging", 1)).toBeNull();
    expect(tracker.receipt("tenant0002", "production", 1)).toBeNull();
    expect(tracker.instances(T, "staging").items.map((i) => i.instance)).toEqual(["s"]);
  });

  it("answers null for a version it never saw, and forgets the oldest beyond its window", () => {
    const { tracker } = setup(3);
    tracker.connect(T, "production", info("a"));
    for (let v = 1; v <= 4; v++) tracker.commit(T, "production", v, v);
    expect(tracker.receipt(T, "production", 1)).toBeNull();
    expect(tracker.receipt(T, "production", 2)?.version).toBe(2);
    expect(tracker.receipt(T, "production", 4)?.version).toBe(4);
    expect(tracker.receipt(T, "production", 5)).toBeNull();
    tracker.commit(T, "production", 4, 99); // a replayed publish does not overwrite the first record
    expect(tracker.receipt(T, "production", 4)?.committedAt).toBe(new Date(4).toISOString());
  });

  it("forgets the longest-tracked idle environment past maxEnvs, never one with connections", () => {
    const tracker = new PropagationTracker({ maxEnvs: 2 });
    tracker.connect(T, "busy", info("a")); // tracked first, but has a connection
    tracker.commit(T, "busy", 1, 0);
    tracker.commit(T, "idle", 1, 0);
    tracker.commit(T, "third", 1, 0);
    expect(tracker.receipt(T, "busy", 1)).not.toBeNull();
    expect(tracker.receipt(T, "idle", 1)).toBeNull();
    expect(tracker.receipt(T, "third", 1)).not.toBeNull();
  });

  it("uses nearest-rank percentiles", () => {
    const { tracker, at } = setup();
    const handles = Array.from({ length: 100 }, (_, i) => tracker.connect(T, "production", info(`i${i}`)));
    tracker.commit(T, "production", 1, 0);
    handles.forEach((h, i) => {
      at(i + 1); // latencies 1..100 ms
      tracker.ack(h, 1);
    });
    expect(tracker.receipt(T, "production", 1)!.latencyMs).toEqual({ p50: 50, p99: 99, max: 100 });
  });
});

describe("PropagationTracker instances", () => {
  it("lists connected instances in connection order with their applied version and last ack", () => {
    const { tracker, at } = setup();
    at(1_700_000_000_000);
    const a = tracker.connect(T, "production", info("a", "web"));
    at(1_700_000_001_000);
    tracker.connect(T, "production", info("b", "worker"));
    tracker.commit(T, "production", 5, 1_700_000_001_500);
    at(1_700_000_002_000);
    tracker.ack(a, 5);

    const list = tracker.instances(T, "production");
    expect(list.total).toBe(2);
    expect(list.items).toEqual([
      {
        instance: "a",
        app: "web",
        sdk: "@killswitch/sdk@0.1.0",
        connectedAt: new Date(1_700_000_000_000).toISOString(),
        appliedVersion: 5,
        lastAckAt: new Date(1_700_000_002_000).toISOString(),
      },
      {
        instance: "b",
        app: "worker",
        sdk: "@killswitch/sdk@0.1.0",
        connectedAt: new Date(1_700_000_001_000).toISOString(),
        appliedVersion: null,
        lastAckAt: null,
      },
    ]);
  });

  it("honours limit while total counts every connected instance", () => {
    const { tracker } = setup();
    const h = [1, 2, 3].map((i) => tracker.connect(T, "production", info(`i${i}`)));
    tracker.disconnect(h[0]!);
    const list = tracker.instances(T, "production", 1);
    expect(list).toMatchObject({ total: 2, items: [{ instance: "i2" }] });
    expect(tracker.instances(T, "nowhere")).toEqual({ items: [], total: 0 });
  });
});

describe("several nodes", () => {
  it("merges the parts of each node into one receipt", () => {
    const merged = mergeReceiptParts([
      { version: 9, committedAt: 1_000, connected: 2, latencies: [5, 7], pending: [] },
      {
        version: 9,
        committedAt: 1_000,
        connected: 2,
        latencies: [40],
        pending: [{ instance: "x", app: "api", appliedVersion: 8 }],
      },
    ]);
    expect(merged).toEqual({
      version: 9,
      committedAt: new Date(1_000).toISOString(),
      connected: 4,
      acked: 3,
      pending: [{ instance: "x", app: "api", appliedVersion: 8 }],
      latencyMs: { p50: 7, p99: 40, max: 40 },
      status: "pending",
      complete: false,
    });
  });

  it("is pending, never complete, while a node that may hold instances has not reported its share", () => {
    const part = { version: 9, committedAt: 1_000, connected: 1, latencies: [5], pending: [] };
    expect(mergeReceiptParts([part])).toMatchObject({ status: "complete", complete: true });
    expect(mergeReceiptParts([part], true)).toMatchObject({ status: "pending", complete: false });
    expect(mergeReceiptParts([{ ...part, connected: 0, latencies: [] }], true)).toMatchObject({ status: "pending", complete: false });
  });

  it("hands out changed instance records for a shared store, once", () => {
    const tracker = new PropagationTracker({ recordUpdates: true, now: () => 50 });
    const a = tracker.connect(T, "production", info("a"));
    tracker.commit(T, "production", 1, 10);
    tracker.ack(a, 1);
    const first = tracker.drainUpdates();
    expect(first).toEqual([
      expect.objectContaining({ tenantId: T, env: "production", appliedVersion: 1, lastAckAt: 50, live: true }),
    ]);
    expect(tracker.drainUpdates()).toEqual([]);
    tracker.disconnect(a);
    expect(tracker.drainUpdates()).toEqual([expect.objectContaining({ live: false })]);
    tracker.disconnect(a); // a socket closed twice (an error, then its close) is one change
    expect(tracker.drainUpdates()).toEqual([]);
    expect(new PropagationTracker().drainUpdates()).toEqual([]);
  });

  it("numbers connections in connection order, one sequence across environments: a shared store lists them by it", () => {
    const tracker = new PropagationTracker({ recordUpdates: true });
    for (const [env, instance] of [["production", "a"], ["staging", "b"], ["production", "c"]] as const) tracker.connect(T, env, info(instance));
    const seqs = tracker.drainUpdates().map((u) => [u.info.instance, u.seq] as const);
    expect(seqs.map(([instance]) => instance)).toEqual(["a", "b", "c"]);
    expect(seqs.map(([, seq]) => seq)).toEqual([1, 2, 3]);
  });

  it("hands out each version's share when committed and as acks arrive, once", () => {
    let clock = 100;
    const tracker = new PropagationTracker({ recordUpdates: true, maxVersions: 2, now: () => clock });
    const a = tracker.connect(T, "production", info("a"));
    tracker.connect(T, "production", info("b"));
    tracker.commit(T, "production", 1, 90);
    expect(tracker.drainVersionUpdates()).toEqual([
      { tenantId: T, env: "production", version: 1, committedAt: 90, connected: 2, latencies: new Float32Array(0), oldestKept: 1 },
    ]);
    expect(tracker.drainVersionUpdates()).toEqual([]);
    clock = 130;
    tracker.ack(a, 1);
    const [acked] = tracker.drainVersionUpdates();
    expect(Array.from(acked!.latencies)).toEqual([40]);
    // The share handed out is a copy: later acks do not change it.
    clock = 150;
    tracker.commit(T, "production", 2, 140);
    tracker.commit(T, "production", 3, 145);
    const later = tracker.drainVersionUpdates();
    // Version 1 left the window of two: not handed out, and the others say the oldest kept is 2.
    expect(later.map((u) => [u.version, u.oldestKept])).toEqual([
      [2, 2],
      [3, 2],
    ]);
    expect(Array.from(acked!.latencies)).toEqual([40]);
  });

  it("hands out everything again after markAllChanged, and nothing after discardUpdates", () => {
    const tracker = new PropagationTracker({ recordUpdates: true, now: () => 5 });
    const a = tracker.connect(T, "production", info("a"));
    tracker.connect(T, "staging", info("s"));
    tracker.commit(T, "production", 1, 1);
    tracker.ack(a, 1);
    tracker.discardUpdates();
    expect(tracker.drainUpdates()).toEqual([]);
    expect(tracker.drainVersionUpdates()).toEqual([]);
    tracker.disconnect(a);
    tracker.discardUpdates();
    tracker.markAllChanged();
    // Only live records: a closed connection is not handed out again.
    expect(tracker.drainUpdates().map((u) => u.info.instance)).toEqual(["s"]);
    expect(tracker.drainVersionUpdates().map((u) => [u.env, u.version, u.connected])).toEqual([["production", 1, 1]]);
  });
});

describe("PropagationTracker counting at commit", () => {
  it("counts a connection from the state it was sent when that is newer than the newest commit it knows of", () => {
    const { tracker } = setup();
    tracker.commit(T, "production", 1, 1_000);
    tracker.connect(T, "production", info("a")); // counted from 1, the newest commit known here
    tracker.connect(T, "production", info("b"), undefined, 3); // sent a state of version 3: 2 and 3 had landed before it
    tracker.commit(T, "production", 2, 2_000); // this process hears of 2 and 3 late
    tracker.commit(T, "production", 3, 3_000);
    tracker.commit(T, "production", 4, 4_000);
    expect([2, 3, 4].map((v) => tracker.receipt(T, "production", v)?.connected)).toEqual([1, 1, 2]);
    expect(tracker.receipt(T, "production", 3)?.pending.map((p) => p.instance)).toEqual(["a"]);
  });

  it("may forget an environment once its last connection has closed", () => {
    const tracker = new PropagationTracker({ maxEnvs: 2 });
    const a = tracker.connect(T, "left", info("a"));
    tracker.commit(T, "left", 1, 0);
    tracker.disconnect(a);
    tracker.commit(T, "idle", 1, 0);
    tracker.commit(T, "third", 1, 0);
    expect(["left", "idle", "third"].map((env) => tracker.receipt(T, env, 1) !== null)).toEqual([false, true, true]);
  });

  it("hands out nothing without recordUpdates, however its records change", () => {
    const tracker = new PropagationTracker({ now: () => 5 });
    const a = tracker.connect(T, "production", info("a"));
    tracker.commit(T, "production", 1, 1);
    tracker.ack(a, 1);
    tracker.markAllChanged();
    expect([tracker.drainUpdates(), tracker.drainVersionUpdates()]).toEqual([[], []]);
    tracker.disconnect(a);
    tracker.discardUpdates();
    expect([tracker.drainUpdates(), tracker.drainVersionUpdates()]).toEqual([[], []]);
  });
});

describe("PropagationTracker edge cases", () => {
  it("finds each of many versions by its own record", () => {
    const { tracker } = setup();
    tracker.connect(T, "production", info("a"));
    for (let v = 3; v <= 40; v += 3) tracker.commit(T, "production", v, v * 1_000);
    for (let v = 1; v <= 42; v++) {
      const receipt = tracker.receipt(T, "production", v);
      if (v % 3 === 0 && v <= 39) expect(receipt?.committedAt).toBe(new Date(v * 1_000).toISOString());
      else expect(receipt).toBeNull();
    }
  });

  it("measures an ack that arrives before its commit time (a clock that stepped back) as 0 ms", () => {
    const { tracker, at } = setup();
    const a = tracker.connect(T, "production", info("a"));
    tracker.commit(T, "production", 1, 5_000);
    at(4_900);
    tracker.ack(a, 1);
    expect(tracker.receipt(T, "production", 1)!.latencyMs).toEqual({ p50: 0, p99: 0, max: 0 });
  });

  it("shows an instance that applied version 0 as at 0, not as having applied nothing", () => {
    const { tracker } = setup();
    const a = tracker.connect(T, "production", info("a"));
    tracker.ack(a, 0);
    expect(tracker.instances(T, "production").items[0]).toMatchObject({ appliedVersion: 0 });
    tracker.commit(T, "production", 1, 0);
    expect(tracker.receipt(T, "production", 1)!.pending).toEqual([{ instance: "a", app: "checkout", appliedVersion: 0 }]);
  });

  it("counts the instance that connected last before the commit, and an ack of the same version twice once", () => {
    const { tracker, at } = setup();
    const a = tracker.connect(T, "production", info("a"));
    tracker.commit(T, "production", 1, 1_000);
    at(1_010);
    tracker.ack(a, 1);
    at(1_090);
    tracker.ack(a, 1);
    expect(tracker.receipt(T, "production", 1)).toMatchObject({ connected: 1, acked: 1, latencyMs: { max: 10 } });
    expect(tracker.instances(T, "production").items[0]!.lastAckAt).toBe(new Date(1_090).toISOString());
  });

  it("keeps maxVersions and maxEnvs at least 1", () => {
    const tracker = new PropagationTracker({ maxVersions: 0, maxEnvs: 0 });
    tracker.commit(T, "production", 1, 0);
    tracker.commit(T, "production", 2, 0);
    expect(tracker.receipt(T, "production", 1)).toBeNull();
    expect(tracker.receipt(T, "production", 2)).not.toBeNull();
  });

  it("keeps 256 versions per environment by default", () => {
    const tracker = new PropagationTracker();
    for (let v = 1; v <= 257; v++) tracker.commit(T, "production", v, v);
    expect(tracker.receipt(T, "production", 1)).toBeNull();
    expect(tracker.receipt(T, "production", 2)).not.toBeNull();
  });
});

describe("mergeReceiptParts", () => {
  it("sorts the latencies of every part before taking quantiles, and takes the earliest commit time", () => {
    const merged = mergeReceiptParts([
      { version: 9, committedAt: 1_200, connected: 1, latencies: [40], pending: [] },
      { version: 9, committedAt: 1_000, connected: 3, latencies: [7, 5, 6], pending: [] },
    ]);
    expect(merged).toMatchObject({ committedAt: new Date(1_000).toISOString(), connected: 4, acked: 4, latencyMs: { p50: 6, p99: 40, max: 40 }, status: "complete" });
  });

  it("rounds latencies to hundredths of a millisecond", () => {
    const merged = mergeReceiptParts([{ version: 1, committedAt: 0, connected: 1, latencies: [12.345678], pending: [] }]);
    expect(merged.latencyMs).toEqual({ p50: 12.35, p99: 12.35, max: 12.35 });
  });

  it("answers null latencies and no-instances for a version nobody received", () => {
    expect(mergeReceiptParts([{ version: 1, committedAt: 0, connected: 0, latencies: [], pending: [] }])).toMatchObject({
      acked: 0,
      latencyMs: { p50: null, p99: null, max: null },
      status: "no-instances",
      complete: false,
    });
  });

  it("decides a status from the counts alone: complete only with someone connected and nobody pending", () => {
    expect(receiptStatus(2, 0)).toBe("complete");
    expect(receiptStatus(2, 1)).toBe("pending");
    expect(receiptStatus(0, 0)).toBe("no-instances");
    expect(receiptStatus(2, 0, true)).toBe("pending");
  });

  it("needs at least one part", () => {
    expect(() => mergeReceiptParts([])).toThrow("at least one part");
  });
});

describe("PropagationTracker for metrics", () => {
  it("counts the kept versions whose receipt is pending, and agrees with the receipts", () => {
    const { tracker } = setup();
    const pending = () => [1, 2, 3, 4].filter((v) => tracker.receipt(T, "production", v)?.status === "pending").length;
    tracker.commit(T, "production", 1, 1_000); // nobody connected: no-instances, never pending
    const a = tracker.connect(T, "production", info("a"));
    tracker.commit(T, "production", 2, 2_000);
    const b = tracker.connect(T, "production", info("b"));
    tracker.commit(T, "production", 3, 3_000);
    tracker.commit(T, "staging", 1, 3_000); // another environment, nobody there
    expect([tracker.incompleteVersions(), pending()]).toEqual([2, 2]);
    tracker.ack(a, 3);
    expect([tracker.incompleteVersions(), pending()]).toEqual([1, 1]); // 3 waits for b
    tracker.ack(b, 3);
    expect(tracker.incompleteVersions()).toBe(0);
    const c = tracker.connect(T, "production", info("c"));
    tracker.commit(T, "production", 4, 4_000);
    tracker.ack(a, 4);
    tracker.ack(b, 4);
    expect([tracker.incompleteVersions(), pending()]).toEqual([1, 1]); // c never acks
    tracker.disconnect(c);
    expect([tracker.incompleteVersions(), pending()]).toEqual([0, 0]);
  });

  it("tells each ack latency as it is recorded, once per version an ack covers", () => {
    const samples: number[] = [];
    let clock = 10_000;
    const tracker = new PropagationTracker({ now: () => clock, onApplied: (ms) => samples.push(ms) });
    const a = tracker.connect(T, "production", info("a"));
    tracker.commit(T, "production", 1, 10_000);
    tracker.commit(T, "production", 2, 10_020);
    clock = 10_050;
    tracker.ack(a, 2);
    tracker.ack(a, 2); // nothing new
    expect(samples.sort((x, y) => x - y)).toEqual([30, 50]);
  });
});
