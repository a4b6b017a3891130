import { describe, expect, it } from "vitest";
import { OperatorEvents, parseEventId, type CommitRecord, type OperatorEvent } from "../../../src/core/events/operator-events.js";

const commit = (tenantId: string, seq: number, extra: Partial<CommitRecord["audit"]> = {}, versions: number[] = [seq]): CommitRecord => ({
  tenantId,
  audit: {
    seq,
    hash: `h${seq}`,
    at: 1_000 * seq,
    actor: { keyId: "key_1", name: "ops", role: "operator" },
    action: "flag.kill",
    entity: "flag-config",
    key: "model.fable-5",
    env: "production",
    reason: "r",
    directive: null,
    ...extra,
  },
  changes: versions.map((version) => ({ env: "production", version, entity: "flag" as const, key: "model.fable-5" })),
});

describe("OperatorEvents", () => {
  it("turns a commit into one change event per version, a directive commit into a directive event, and others into none", () => {
    const events = new OperatorEvents({ epoch: "e1" });
    const seen: OperatorEvent[] = [];
    events.subscribe("t1", (e) => seen.push(e));
    events.committed(commit("t1", 3, {}, [7]));
    events.committed(commit("t1", 4, { entity: "directive", action: "directive.lift", key: "EXPORT-1" }, []));
    events.committed(commit("t1", 5, { entity: "key", action: "key.create" }, []));
    expect(seen.map((e) => e.type)).toEqual(["change", "directive"]);
    expect(seen[0]!.data).toMatchObject({ version: 7, flag: "model.fable-5", action: "flag.kill", audit: { seq: 3, hash: "h3" } });
    expect(seen[1]!.data).toMatchObject({ ref: "EXPORT-1", action: "directive.lift" });
    expect(seen.map((e) => e.id)).toEqual(["3:1:e1", "4:2:e1"]);
  });

  it("makes a commit's events once, however often it is reported", () => {
    const events = new OperatorEvents({ epoch: "e1" });
    const seen: OperatorEvent[] = [];
    events.subscribe("t1", (e) => seen.push(e));
    events.committed(commit("t1", 3));
    events.committed(commit("t1", 3));
    expect(seen).toHaveLength(1);
    expect(events.madeFor("t1", 3)).toBe(true);
    expect(events.madeFor("t2", 3)).toBe(false);
  });

  it("keeps tenants apart", () => {
    const events = new OperatorEvents();
    const a: OperatorEvent[] = [];
    events.subscribe("ta", (e) => a.push(e));
    events.committed(commit("tb", 1));
    events.publish("tb", "instance", { env: "production", event: "connect", instance: "i", app: "a", sdk: "s", at: "x" });
    expect(a).toEqual([]);
    expect(events.hasSubscribers("tb")).toBe(false);
  });

  it("resumes from its buffer within its epoch, and from the audit seq otherwise", () => {
    const events = new OperatorEvents({ epoch: "e1", bufferSize: 3 });
    for (let seq = 1; seq <= 5; seq++) events.committed(commit("t1", seq));
    // Buffered: events 3, 4, 5.
    const resumed = events.resume("t1", parseEventId("3:3:e1")!);
    expect(resumed).toEqual({ kind: "buffered", events: [expect.objectContaining({ id: "4:4:e1" }), expect.objectContaining({ id: "5:5:e1" })] });
    expect(events.resume("t1", parseEventId("5:5:e1")!)).toEqual({ kind: "buffered", events: [] });
    // Evicted from the buffer, another epoch (a restart), or a counter from the future: the audit log.
    expect(events.resume("t1", parseEventId("1:1:e1")!)).toEqual({ kind: "durable", afterSeq: 1 });
    expect(events.resume("t1", parseEventId("4:4:old")!)).toEqual({ kind: "durable", afterSeq: 4 });
    expect(events.resume("t1", parseEventId("4:99:e1")!)).toEqual({ kind: "durable", afterSeq: 4 });
  });

  it("parses only ids it writes", () => {
    expect(parseEventId("12:3:abc9")).toEqual({ seq: 12, n: 3, epoch: "abc9" });
    for (const id of ["", "12:3", "a:3:x", "1:2:X", "1:2:x:4", "1e3:2:x", `${"9".repeat(16)}:1:x`]) expect(parseEventId(id), id).toBeNull();
  });

  it("a listener that throws is reported and does not stop the others", () => {
    const errors: unknown[] = [];
    const events = new OperatorEvents({ onError: (e) => errors.push(e) });
    const seen: string[] = [];
    events.subscribe("t1", () => {
      throw new Error("boom");
    });
    events.subscribe("t1", (e) => seen.push(e.type));
    events.committed(commit("t1", 1));
    expect(seen).toEqual(["change"]);
    expect(errors).toHaveLength(1);
  });

  it("ends every stream once on close, and one registered later at once", () => {
    const events = new OperatorEvents();
    let closed = 0;
    events.onClose(() => closed++);
    events.close();
    events.close();
    expect(closed).toBe(1);
    events.onClose(() => closed++);
    expect(closed).toBe(2);
  });
});
