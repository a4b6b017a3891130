/**
 * The one receipt model (src/core/receipts/receipt-tracker.ts) over the memory
 * ledger: what both hosts count, from connections as the host reports them.
 */
import { describe, expect, it } from "vitest";
import { MemoryLedger } from "../../../src/core/receipts/memory-ledger.js";
import { mergeReceiptParts } from "../../../src/core/receipts/receipt.js";
import {
  connectedAtCommit,
  countConnected,
  countedFrom,
  incompleteCount,
  lowestBound,
  pendingAt,
  newRecord,
  ReceiptTracker,
  type ReceiptLedger,
} from "../../../src/core/receipts/receipt-tracker.js";

const T = "tenant0001";
const ENV = "production";

interface Conn {
  instance: string | null;
  app: string | null;
  firstVersion: number | null;
  appliedVersion: number | null;
}

const conn = (instance: string, firstVersion: number | null, appliedVersion: number | null = null): Conn => ({ instance, app: "checkout", firstVersion, appliedVersion });

function setup(maxVersions?: number) {
  const applied: number[] = [];
  const tracker = new ReceiptTracker(new MemoryLedger({ maxVersions }), { onApplied: (ms) => void applied.push(ms) });
  /** Commits `version` at `at` with these connections open, counted by the one definition. */
  const commit = (version: number, at: number, connections: Conn[]) => tracker.commit(T, ENV, version, at, countConnected(connections, version));
  /** A connection acks `version` at `at`: what a host does on the session's `acked` receipt event. */
  const ack = (c: Conn, version: number, at: number) => {
    const previous = c.appliedVersion;
    if (version <= (previous ?? -1)) return;
    c.appliedVersion = version;
    tracker.ack(T, ENV, c, previous, at);
  };
  const receipt = (version: number, connections: Conn[]) => {
    const part = tracker.part(T, ENV, version, pendingAt(connections, version));
    return part && mergeReceiptParts([part]);
  };
  return { tracker, commit, ack, receipt, applied };
}

describe("connected at commit", () => {
  it("counts a connection sent its first state before the commit, not one still loading or closed", () => {
    expect(connectedAtCommit({ firstVersion: 4, appliedVersion: null }, 5)).toBe(true);
    expect(connectedAtCommit({ firstVersion: 5, appliedVersion: 5 }, 5)).toBe(false); // its first state already held 5
    expect(connectedAtCommit({ firstVersion: null, appliedVersion: null }, 5)).toBe(false); // snapshot still loading
  });

  it("does not count a connection whose snapshot was still loading at the commit, even once it has loaded", () => {
    const { commit, ack, receipt } = setup();
    const live = conn("live", 3, 3);
    const loading = conn("loading", null); // its hello arrived; its snapshot read is under way
    commit(4, 1_000, [live, loading]);
    // The read returns version 3 (begun before the commit); the tracker already knows of 4,
    // so the connection counts from 4: it was not connected at 4's commit.
    loading.firstVersion = countedFrom(3, 4);
    loading.appliedVersion = 3;
    expect(receipt(4, [live, loading])).toMatchObject({ connected: 1, pending: [{ instance: "live", appliedVersion: 3 }], status: "pending" });
    ack(loading, 4, 1_050); // caught up: gives no sample of a version it was not connected at
    ack(live, 4, 1_020);
    expect(receipt(4, [live, loading])).toMatchObject({ connected: 1, acked: 1, latencyMs: { max: 20 }, status: "complete" });
  });

  it("counts from the first state's version when it is the newer (a commit the tracker learns of later)", () => {
    expect(countedFrom(7, 5)).toBe(7);
    expect(countedFrom(5, 7)).toBe(7);
    expect(countedFrom(5, null)).toBe(5);
  });
});

describe("ReceiptTracker", () => {
  it("measures ack time minus commit time for the connections connected at commit", () => {
    const { commit, ack, receipt, applied } = setup();
    const [a, b, c] = [conn("a", 2, 2), conn("b", 0, 1), conn("c", 3, 3)];
    commit(3, 10_000, [a, b, c]); // c's first state was 3: it connected after the commit
    ack(a, 3, 10_040);
    ack(b, 3, 10_010);
    ack(c, 3, 10_500);
    expect(receipt(3, [a, b, c])).toEqual({
      version: 3,
      committedAt: new Date(10_000).toISOString(),
      connected: 2,
      acked: 2,
      pending: [],
      latencyMs: { p50: 10, p99: 40, max: 40 },
      status: "complete",
      complete: true,
    });
    expect(applied).toEqual([40, 10]);
  });

  it("says no-instances, never complete, for a version committed while nobody was connected", () => {
    const { commit, ack, receipt } = setup();
    commit(4, 1_000, []);
    const late = conn("late", 4, 4);
    ack(late, 4, 1_010);
    expect(receipt(4, [late])).toMatchObject({ connected: 0, acked: 0, pending: [], status: "no-instances", complete: false });
  });

  it("credits an ack below the newest commit to the versions it covers only", () => {
    const { commit, ack, receipt } = setup();
    const a = conn("a", 0, 0);
    for (let v = 1; v <= 4; v++) commit(v, v * 1_000, [a]);
    ack(a, 2, 4_100); // applied 2 of 4
    expect([1, 2, 3, 4].map((v) => receipt(v, [a])?.acked)).toEqual([1, 1, 0, 0]);
    expect(receipt(4, [a])).toMatchObject({ pending: [{ instance: "a", app: "checkout", appliedVersion: 2 }], status: "pending" });
    ack(a, 4, 4_300);
    expect([1, 2, 3, 4].map((v) => receipt(v, [a])?.latencyMs.max)).toEqual([3_100, 2_100, 1_300, 300]);
    ack(a, 3, 9_000); // an older ack adds nothing
    expect(receipt(3, [a])?.acked).toBe(1);
  });

  it("no longer waits for a connection that is gone, and keeps the acks of those that left", () => {
    const { commit, ack, receipt } = setup();
    const [a, b, c] = [conn("a", 1, 1), conn("b", 1, 1), conn("c", 1, 1)];
    commit(2, 1_000, [a, b, c]);
    ack(a, 2, 1_010);
    expect(receipt(2, [a, b, c])).toMatchObject({ pending: [{ instance: "b" }, { instance: "c" }], status: "pending" });
    // b acks then leaves; c leaves without acking: the host no longer lists either.
    ack(b, 2, 1_030);
    expect(receipt(2, [a])).toMatchObject({ connected: 3, acked: 2, pending: [], latencyMs: { max: 30 }, status: "complete" });
  });

  it("never counts more acks than connections at commit, and an ack before the commit time as 0 ms", () => {
    const { tracker, commit, receipt, applied } = setup();
    commit(5, 1_000, [conn("a", 4), conn("b", 4)]);
    for (const at of [1_010, 990, 1_030]) tracker.ack(T, ENV, { firstVersion: 4, appliedVersion: 5 }, 4, at);
    expect(receipt(5, [])).toMatchObject({ connected: 2, acked: 2, latencyMs: { p50: 0, max: 10 } });
    expect(applied).toEqual([10, 0]);
  });

  it("ignores a connection without a first state or without an ack", () => {
    const { tracker, commit, receipt } = setup();
    commit(1, 1_000, [conn("a", 0)]);
    tracker.ack(T, ENV, { firstVersion: null, appliedVersion: 1 }, null, 1_100);
    tracker.ack(T, ENV, { firstVersion: 0, appliedVersion: null }, null, 1_100);
    tracker.ack(T, ENV, { firstVersion: 0, appliedVersion: -1 }, null, 1_100);
    expect(receipt(1, [])?.acked).toBe(0);
  });

  it("answers null for a version not kept: never committed, out of the window, or not a version", () => {
    const { tracker, commit } = setup(2);
    for (let v = 1; v <= 3; v++) commit(v, v, []);
    expect(tracker.part(T, ENV, 1, [])).toBeNull();
    expect(tracker.part(T, ENV, 4, [])).toBeNull();
    expect(tracker.part(T, "staging", 3, [])).toBeNull();
    for (const v of [0, -1, 1.5]) expect(tracker.part(T, ENV, v, [])).toBeNull();
    expect(tracker.part(T, ENV, 3, [])).toMatchObject({ version: 3, committedAt: 3, connected: 0 });
  });

  it("never asks its ledger about a number that is not a version", () => {
    const asked: number[] = [];
    // A ledger that would answer a record for anything it is asked.
    const ledger: ReceiptLedger = { keep: 4, committed() {}, sampled() {}, record: (_t, _e, version) => (asked.push(version), newRecord(version, 0)) };
    const tracker = new ReceiptTracker(ledger);
    for (const v of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 2]) expect(tracker.part(T, ENV, v, [])).toBeNull();
    expect(asked).toEqual([]);
    expect(tracker.part(T, ENV, 1, [])).toMatchObject({ version: 1 });
    expect(asked).toEqual([1]);
  });

  it("looks at no more than the kept window for an ack that jumps far ahead", () => {
    const { tracker, commit, receipt } = setup(3);
    const a = conn("a", 0, 0);
    for (let v = 1; v <= 10; v++) commit(v, v * 10, [a]);
    tracker.ack(T, ENV, { firstVersion: 0, appliedVersion: 10 }, 0, 200);
    expect([8, 9, 10].map((v) => receipt(v, [])?.acked)).toEqual([1, 1, 1]);
  });
});

describe("pending and incomplete versions", () => {
  it("lists who holds a version up, in the order given, applied versions below 0 as null", () => {
    const cs = [conn("a", 1, 2), conn("b", 1, -1), conn("c", 2, 2), conn("d", null), conn("e", 0, null)];
    expect(pendingAt(cs, 2)).toEqual([
      { instance: "b", app: "checkout", appliedVersion: null },
      { instance: "e", app: "checkout", appliedVersion: null },
    ]);
    expect(countConnected(cs, 2)).toBe(3);
  });

  it("lists a connection whose hello named no instance or app with empty names", () => {
    expect(pendingAt([{ instance: null, app: null, firstVersion: 0, appliedVersion: null }], 1)).toEqual([{ instance: "", app: "", appliedVersion: null }]);
  });

  it("counts the kept versions some connection connected at their commit has not acked, as the receipts say", () => {
    const { commit, ack, receipt } = setup();
    const a = conn("a", 0, 0);
    const b = conn("b", 1, 1);
    for (let v = 1; v <= 4; v++) commit(v, v, [a, b]);
    ack(a, 4, 10);
    ack(b, 2, 10);
    const pending = [1, 2, 3, 4].filter((v) => receipt(v, [a, b])?.status === "pending");
    expect(pending).toEqual([3, 4]);
    expect(lowestBound([a, b])).toBe(2);
    expect(incompleteCount(lowestBound([a, b]), 4, 1)).toBe(2);
    expect(incompleteCount(lowestBound([a, b]), 4, 4)).toBe(1); // only the kept ones
    expect(incompleteCount(lowestBound([]), 4, 1)).toBe(0);
    expect(incompleteCount(lowestBound([conn("loading", null)]), 4, 1)).toBe(0);
    // Sent its first state at version 0 and never acked: every kept version is pending for it.
    expect(lowestBound([conn("silent", 0)])).toBe(0);
    expect(incompleteCount(lowestBound([conn("silent", 0)]), 4, 1)).toBe(4);
  });
});
