/**
 * Receipts and instance lists asked of one node count every live node of the
 * shared database: its own share from its tracker, the others' from the
 * cluster tables as of their last tick.
 */
import { afterEach, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../../../src/core/actor.js";
import type { TempStore } from "../../support/temp-db.js";
import { changeRowidOf, clock, committedAtOf, startNode, startTwoNodes, stopNodes, type TestNode } from "./cluster-nodes.js";

const ENV = "production";

let t: TempStore;
let tenantId: string;
let a: TestNode;
let b: TestNode;

afterEach(() => stopNodes([a, b], t));

/** Two nodes on a database with one tenant. */
async function setup(): Promise<void> {
  ({ t, tenantId, a, b } = await startTwoNodes());
}

async function tickBoth(): Promise<void> {
  await a.mirror.tick();
  await b.mirror.tick();
  await a.mirror.tick();
}

describe("receipts", () => {
  it("count both nodes, list the other's pending instances, and are complete only once every live node has reported the version", async () => {
    await setup();
    const a1 = a.connect(tenantId, ENV, "a-1");
    const a2 = a.connect(tenantId, ENV, "a-2");
    const b1 = b.connect(tenantId, ENV, "b-1");
    await tickBoth();
    expect([a.mirror.shared, b.mirror.shared]).toEqual([true, true]);

    await t.store.createFlag(tenantId, SYSTEM_ACTOR, { key: "f", kind: "boolean" });
    const committedAt = await committedAtOf(t.database, tenantId, ENV, 1);
    const rowid = await changeRowidOf(t.database, tenantId, ENV, 1);
    for (const n of [a, b]) n.tracker.commit(tenantId, ENV, 1, committedAt);
    a.tracker.ack(a1, 1, committedAt + 5);
    a.tracker.ack(a2, 1, committedAt + 7);
    a.seen.through = rowid;
    await a.mirror.tick();

    // b has not written its share: its tail may not have handed it the version.
    expect(await a.propagation.receipt(tenantId, ENV, 1)).toMatchObject({ connected: 2, acked: 2, pending: [], status: "pending", complete: false });
    // b's own answer counts a's share from the tables, and b's own pending instance.
    expect(await b.propagation.receipt(tenantId, ENV, 1)).toMatchObject({
      connected: 3,
      acked: 2,
      pending: [{ instance: "b-1", app: "app-n_b", appliedVersion: null }],
      complete: false,
    });

    // b reports through a position short of the version: still not complete.
    b.seen.through = rowid - 1;
    await b.mirror.tick();
    expect((await a.propagation.receipt(tenantId, ENV, 1))!.complete).toBe(false);

    b.seen.through = rowid;
    await b.mirror.tick();
    expect(await a.propagation.receipt(tenantId, ENV, 1)).toEqual({
      version: 1,
      committedAt: new Date(committedAt).toISOString(),
      connected: 3,
      acked: 2,
      pending: [{ instance: "b-1", app: "app-n_b", appliedVersion: null }],
      latencyMs: { p50: 5, p99: 7, max: 7 },
      status: "pending",
      complete: false,
    });

    b.tracker.ack(b1, 1, committedAt + 20);
    await b.mirror.tick();
    const done = { connected: 3, acked: 3, pending: [], latencyMs: { p50: 7, p99: 20, max: 20 }, status: "complete", complete: true };
    expect(await a.propagation.receipt(tenantId, ENV, 1)).toMatchObject(done);
    expect(await b.propagation.receipt(tenantId, ENV, 1)).toMatchObject(done);
  });

  it("say no-instances once every live node has reported the version and none had an instance connected", async () => {
    await setup();
    await tickBoth();
    await t.store.createFlag(tenantId, SYSTEM_ACTOR, { key: "f", kind: "boolean" });
    const committedAt = await committedAtOf(t.database, tenantId, ENV, 1);
    for (const n of [a, b]) n.tracker.commit(tenantId, ENV, 1, committedAt);
    a.seen.through = b.seen.through = await changeRowidOf(t.database, tenantId, ENV, 1);
    await tickBoth();
    const none = { connected: 0, acked: 0, pending: [], status: "no-instances", complete: false };
    expect(await a.propagation.receipt(tenantId, ENV, 1)).toMatchObject(none);
    expect(await b.propagation.receipt(tenantId, ENV, 1)).toMatchObject(none);
  });

  it("answer null for a version the change log does not hold, or no node tracked", async () => {
    await setup();
    await tickBoth();
    await t.store.createFlag(tenantId, SYSTEM_ACTOR, { key: "f", kind: "boolean" });
    expect(await a.propagation.receipt(tenantId, ENV, 1)).toBeNull(); // committed, but neither tracker saw it
    expect(await a.propagation.receipt(tenantId, ENV, 2)).toBeNull();
    b.tracker.commit(tenantId, ENV, 1, clock.now);
    b.seen.through = await changeRowidOf(t.database, tenantId, ENV, 1);
    await b.mirror.tick();
    // a has not seen version 1 yet: its own sockets may not have it, so not complete.
    expect(await a.propagation.receipt(tenantId, ENV, 1)).toMatchObject({ connected: 0, status: "pending", complete: false });
    // a joined before version 1 and has read past it, yet holds no share: dropped, unknown.
    a.seen.through = b.seen.through;
    expect(await a.propagation.receipt(tenantId, ENV, 1)).toBeNull();
  });

  it("answer from the others' shares on a node that joined after the version", async () => {
    await setup();
    const a1 = a.connect(tenantId, ENV, "a-1");
    await tickBoth();
    await t.store.createFlag(tenantId, SYSTEM_ACTOR, { key: "f", kind: "boolean" });
    const committedAt = await committedAtOf(t.database, tenantId, ENV, 1);
    for (const n of [a, b]) n.tracker.commit(tenantId, ENV, 1, committedAt);
    a.tracker.ack(a1, 1);
    a.seen.through = b.seen.through = await changeRowidOf(t.database, tenantId, ENV, 1);
    await tickBoth();
    // Nobody was connected to the late node at the commit: a's and b's shares are the receipt.
    const late = await startNode(`file:${t.file}`, "n_late", { joinedThrough: a.seen.through });
    late.seen.through = a.seen.through;
    try {
      expect(await late.propagation.receipt(tenantId, ENV, 1)).toMatchObject({ connected: 1, acked: 1, complete: true });
    } finally {
      await late.mirror.close();
      late.database.close();
    }
  });

  it("answer null for a version a node that joined before it has dropped from its window", async () => {
    await setup();
    // b keeps two versions, a three: after version 3, b has dropped version 1 and a has not.
    await stopNodes([b], { close() {} } as TempStore);
    b = await startNode(`file:${t.file}`, "n_b", { maxVersions: 2 });
    const b1 = b.connect(tenantId, ENV, "b-1");
    const a1 = a.connect(tenantId, ENV, "a-1");
    await tickBoth();
    let rowid = 0;
    for (const key of ["f1", "f2", "f3"]) {
      await t.store.createFlag(tenantId, SYSTEM_ACTOR, { key, kind: "boolean" });
      const version = await t.store.envVersion(tenantId, ENV);
      const committedAt = await committedAtOf(t.database, tenantId, ENV, version);
      for (const n of [a, b]) n.tracker.commit(tenantId, ENV, version, committedAt);
      rowid = await changeRowidOf(t.database, tenantId, ENV, version);
      if (version === 1) a.tracker.ack(a1, 1); // b-1 never acks version 1
    }
    a.seen.through = b.seen.through = rowid;
    await tickBoth();
    expect(b1.appliedVersion).toBe(-1);
    // Without b's share, a's receipt of version 1 would be complete over a-1 alone.
    expect(await a.propagation.receipt(tenantId, ENV, 1)).toBeNull();
    expect(await b.propagation.receipt(tenantId, ENV, 1)).toBeNull();
    // Version 2 is still in both windows: neither instance has acked it.
    const v2 = await a.propagation.receipt(tenantId, ENV, 2);
    expect(v2).toMatchObject({ connected: 2, acked: 0, complete: false });
    expect(v2!.pending.map((p) => p.instance).sort()).toEqual(["a-1", "b-1"]);
  });
});

describe("instance lists", () => {
  it("merge both nodes' connections in connection order, with `limit` and the total of both", async () => {
    await setup();
    const start = clock.now;
    for (const [i, [n, name]] of ([[a, "a-1"], [b, "b-1"], [a, "a-2"], [b, "b-2"], [b, "b-3"]] as const).entries()) {
      clock.now = start + i * 1000;
      n.connect(tenantId, ENV, name);
    }
    await tickBoth();

    for (const n of [a, b]) {
      const all = await n.propagation.instances(tenantId, ENV);
      expect(all.items.map((i) => i.instance)).toEqual(["a-1", "b-1", "a-2", "b-2", "b-3"]);
      expect(all.total).toBe(5);
      const two = await n.propagation.instances(tenantId, ENV, 2);
      expect(two).toEqual({ items: all.items.slice(0, 2), total: 5 });
    }
    expect((await a.propagation.instances(tenantId, ENV)).items[1]).toEqual({
      instance: "b-1",
      app: "app-n_b",
      sdk: "test/1",
      connectedAt: new Date(start + 1000).toISOString(),
      appliedVersion: null,
      lastAckAt: null,
    });
    expect(await a.propagation.instances(tenantId, "staging")).toEqual({ items: [], total: 0 });
  });
});
