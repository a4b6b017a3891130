/** The receipts' ledger in memory: the shared port cases, and what only it does. */
import { describe, expect, it } from "vitest";
import { MemoryLedger } from "../../../src/core/receipts/memory-ledger.js";
import { newRecord } from "../../../src/core/receipts/receipt-tracker.js";
import { describeReceiptLedger } from "./ledger-cases.js";

describeReceiptLedger("memory", ({ keep }) => {
  const ledger = new MemoryLedger({ maxVersions: keep });
  return {
    ledger,
    save: () => {},
    readBack: (tenantId, env, version) => {
      const record = ledger.record(tenantId, env, version);
      return record && { committedAt: record.committedAt, connected: record.connected, latencies: Array.from(record.samples.subarray(0, record.acked)) };
    },
  };
});

describe("MemoryLedger", () => {
  it("keeps the first record of a version committed again, and ignores one older than the newest", () => {
    const ledger = new MemoryLedger();
    ledger.committed("t", "e", 2, newRecord(1_000, 1));
    ledger.committed("t", "e", 2, newRecord(5_000, 3)); // a replay
    ledger.committed("t", "e", 1, newRecord(6_000, 3)); // out of order
    expect(ledger.record("t", "e", 2)).toMatchObject({ committedAt: 1_000, connected: 1 });
    expect(ledger.record("t", "e", 1)).toBeNull();
    expect(ledger.newest("t", "e")).toBe(2);
    expect(ledger.newest("t", "other")).toBeNull();
  });

  it("gives a replay of the newest version no place in the window", () => {
    const ledger = new MemoryLedger({ maxVersions: 2 });
    ledger.committed("t", "e", 1, newRecord(1_000, 1));
    ledger.committed("t", "e", 2, newRecord(2_000, 1));
    ledger.committed("t", "e", 2, newRecord(5_000, 1)); // a replay: version 1 stays in the window of two
    expect([1, 2].map((v) => ledger.record("t", "e", v)?.committedAt)).toEqual([1_000, 2_000]);
  });

  it("forgets the longest-kept environment it may forget past maxEnvs", () => {
    const busy = new Set(["first"]);
    const ledger = new MemoryLedger({ maxEnvs: 2, canForget: (_t, env) => !busy.has(env) });
    for (const env of ["first", "second", "third"]) ledger.committed("t", env, 1, newRecord(0, 0));
    expect(["first", "second", "third"].map((env) => ledger.record("t", env, 1) !== null)).toEqual([true, false, true]);
  });

  it("keeps two tenants' environments of the same name apart, whichever was read last", () => {
    const ledger = new MemoryLedger();
    ledger.committed("tenanta", "production", 1, newRecord(1_000, 1));
    ledger.committed("tenantb", "production", 1, newRecord(2_000, 2));
    ledger.committed("tenanta", "staging", 1, newRecord(3_000, 3));
    expect(ledger.record("tenanta", "production", 1)).toMatchObject({ committedAt: 1_000, connected: 1 });
    expect(ledger.record("tenantb", "production", 1)).toMatchObject({ committedAt: 2_000, connected: 2 });
    expect(ledger.record("tenanta", "staging", 1)).toMatchObject({ committedAt: 3_000, connected: 3 });
    expect(ledger.record("tenanta", "production", 1)).toMatchObject({ committedAt: 1_000, connected: 1 });
  });

  it("answers nothing for an environment forgotten after it was last read", () => {
    const ledger = new MemoryLedger({ maxEnvs: 1 });
    ledger.committed("t", "a", 1, newRecord(0, 1));
    expect(ledger.record("t", "a", 1)).not.toBeNull(); // read: the ledger's last one found
    ledger.committed("t", "b", 1, newRecord(0, 1)); // forgets "a"
    expect(ledger.record("t", "a", 1)).toBeNull();
    ledger.committed("t", "a", 2, newRecord(0, 1)); // "a" again, anew; forgets "b"
    expect([ledger.record("t", "a", 1), ledger.record("t", "a", 2) !== null, ledger.record("t", "b", 1)]).toEqual([null, true, null]);
  });

  it("keeps 10,000 environments by default", () => {
    const ledger = new MemoryLedger();
    for (let i = 0; i <= 10_000; i++) ledger.committed("t", `e${i}`, 1, newRecord(0, 0));
    expect(["e0", "e1", "e10000"].map((env) => ledger.record("t", env, 1) !== null)).toEqual([false, true, true]);
  });

  it("keeps at least one version and one environment", () => {
    const ledger = new MemoryLedger({ maxVersions: 0, maxEnvs: 0 });
    expect(ledger.keep).toBe(1);
    ledger.committed("t", "a", 1, newRecord(0, 0));
    ledger.committed("t", "a", 2, newRecord(0, 0));
    ledger.committed("t", "b", 1, newRecord(0, 0));
    expect([ledger.record("t", "a", 2), ledger.record("t", "b", 1)].map((r) => r !== null)).toEqual([false, true]);
  });
});
