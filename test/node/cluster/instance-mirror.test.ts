/**
 * InstanceMirror: what each node writes to the cluster tables of one shared
 * database file, tick by tick, on an injected clock. Two database clients of
 * the file stand for two processes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../../../src/core/actor.js";
import { openTempStore, type TempStore } from "../../support/temp-db.js";
import { changeRowidOf, clock, clusterRows, committedAtOf, GONE_AFTER_MS, startNode, stopNodes, type TestNode } from "./cluster-nodes.js";

const ENV = "production";

let t: TempStore;
let tenantId: string;
const nodes: TestNode[] = [];

afterEach(() => stopNodes(nodes.splice(0), t));

async function setup(): Promise<void> {
  t = await openTempStore();
  tenantId = (await t.store.createTenant({ name: "acme" })).tenant.id;
}

async function node(id: string, options?: { maxVersions?: number }): Promise<TestNode> {
  const started = await startNode(`file:${t.file}`, id, options);
  nodes.push(started);
  return started;
}

/** A real commit (its change-log row), recorded by each node's tracker as its hub would. */
async function commit(flag: string, ...on: TestNode[]): Promise<number> {
  await t.store.createFlag(tenantId, SYSTEM_ACTOR, { key: flag, kind: "boolean" });
  const version = await t.store.envVersion(tenantId, ENV);
  const committedAt = await committedAtOf(t.database, tenantId, ENV, version);
  for (const n of on) n.tracker.commit(tenantId, ENV, version, committedAt);
  return version;
}

describe("a lone node", () => {
  it("writes its node row with reported_through -1, no instance or receipt, and its heartbeat once a second", async () => {
    await setup();
    const a = await node("n_a");
    a.connect(tenantId, ENV, "i-1");
    await commit("f", a);
    const started = clock.now;
    await a.mirror.tick();
    expect(a.mirror.shared).toBe(false);
    expect(await clusterRows(t.database)).toEqual({
      nodes: [{ id: "n_a", heartbeat_at: started, reported_through: -1 }],
      instances: [],
      receipts: [],
    });

    clock.now += 500;
    await a.mirror.tick();
    expect((await clusterRows(t.database)).nodes).toEqual([{ id: "n_a", heartbeat_at: started, reported_through: -1 }]);
    clock.now += 600;
    await a.mirror.tick();
    expect((await clusterRows(t.database)).nodes).toEqual([{ id: "n_a", heartbeat_at: clock.now, reported_through: -1 }]);
  });
});

describe("two nodes", () => {
  it("once a second node registers, the first writes its whole state on its next tick, then only what changed", async () => {
    await setup();
    const a = await node("n_a");
    const a1 = a.connect(tenantId, ENV, "a-1");
    a.connect(tenantId, ENV, "a-2");
    const version = await commit("f", a);
    a.tracker.ack(a1, version);
    await a.mirror.tick(); // alone: drains and writes nothing of it

    const b = await node("n_b");
    b.connect(tenantId, ENV, "b-1");
    b.seen.through = 7;
    await b.mirror.tick();
    expect(b.mirror.shared).toBe(true);
    expect(await clusterRows(t.database)).toEqual({
      nodes: [
        { id: "n_a", heartbeat_at: clock.now, reported_through: -1 },
        { id: "n_b", heartbeat_at: clock.now, reported_through: 7 },
      ],
      instances: [{ node_id: "n_b", instance: "b-1", applied_version: -1 }],
      receipts: [],
    });

    a.seen.through = 9;
    await a.mirror.tick();
    expect(a.mirror.shared).toBe(true);
    const rows = await clusterRows(t.database);
    expect(rows.nodes).toContainEqual({ id: "n_a", heartbeat_at: clock.now, reported_through: 9 });
    expect(rows.instances).toEqual([
      { node_id: "n_a", instance: "a-1", applied_version: version },
      { node_id: "n_a", instance: "a-2", applied_version: -1 },
      { node_id: "n_b", instance: "b-1", applied_version: -1 },
    ]);
    expect(rows.receipts).toEqual([{ node_id: "n_a", env: ENV, version, connected: 2 }]);

    // Then each tick writes what changed: a closed connection goes, an ack lands.
    const a3 = a.connect(tenantId, ENV, "a-3");
    a.tracker.disconnect(a1);
    a.tracker.ack(a3, version);
    await a.mirror.tick();
    expect((await clusterRows(t.database)).instances).toEqual([
      { node_id: "n_a", instance: "a-2", applied_version: -1 },
      { node_id: "n_a", instance: "a-3", applied_version: version },
      { node_id: "n_b", instance: "b-1", applied_version: -1 },
    ]);
  });

  it("forgets a node silent for goneAfterMs: the other deletes its rows and stops counting it", async () => {
    await setup();
    const a = await node("n_a");
    const b = await node("n_b");
    a.connect(tenantId, ENV, "a-1");
    b.connect(tenantId, ENV, "b-1");
    const version = await commit("f", a, b);
    const rowid = await changeRowidOf(t.database, tenantId, ENV, version);
    a.seen.through = b.seen.through = rowid;
    await a.mirror.tick();
    await b.mirror.tick();
    await a.mirror.tick(); // a has seen b: shared now
    expect((await a.propagation.instances(tenantId, ENV)).total).toBe(2);
    expect(await a.propagation.receipt(tenantId, ENV, version)).toMatchObject({ connected: 2, acked: 0, complete: false });

    // b stops ticking (a stalled process), without closing.
    clock.now += GONE_AFTER_MS - 1;
    await a.mirror.tick();
    expect((await clusterRows(t.database)).nodes.map((n) => n.id)).toEqual(["n_a", "n_b"]); // not yet
    clock.now += 1;
    // Already out of every count before anyone deletes it.
    expect((await a.propagation.instances(tenantId, ENV)).total).toBe(1);
    await a.mirror.tick();
    expect(a.mirror.shared).toBe(false);
    const rows = await clusterRows(t.database);
    expect(rows.nodes.map((n) => n.id)).toEqual(["n_a"]);
    expect(rows.instances.filter((r) => r.node_id === "n_b")).toEqual([]);
    expect(rows.receipts.filter((r) => r.node_id === "n_b")).toEqual([]);
    expect(await a.propagation.instances(tenantId, ENV)).toMatchObject({ total: 1, items: [{ instance: "a-1" }] });
    expect(await a.propagation.receipt(tenantId, ENV, version)).toMatchObject({ connected: 1, pending: [{ instance: "a-1" }] });

    // b wakes up: it finds its row gone and writes its whole state again.
    await b.mirror.tick();
    expect((await clusterRows(t.database)).instances).toContainEqual({ node_id: "n_b", instance: "b-1", applied_version: -1 });
    expect((await a.propagation.instances(tenantId, ENV)).total).toBe(2);
  });

  it("removes a node's rows at once when it closes", async () => {
    await setup();
    const a = await node("n_a");
    const b = await node("n_b");
    a.connect(tenantId, ENV, "a-1");
    b.connect(tenantId, ENV, "b-1");
    const version = await commit("f", a, b);
    await a.mirror.tick();
    await b.mirror.tick();
    await a.mirror.tick();
    expect((await clusterRows(t.database)).receipts.map((r) => r.node_id)).toEqual(["n_a", "n_b"]);

    await b.mirror.close();
    const rows = await clusterRows(t.database);
    expect(rows.nodes.map((n) => n.id)).toEqual(["n_a"]);
    expect(rows.instances.map((r) => r.node_id)).toEqual(["n_a"]);
    expect(rows.receipts.map((r) => r.node_id)).toEqual(["n_a"]);
    expect(await a.propagation.receipt(tenantId, ENV, version)).toMatchObject({ connected: 1 });
    // A later tick of the closed mirror writes nothing back.
    await b.mirror.tick();
    expect((await clusterRows(t.database)).nodes.map((n) => n.id)).toEqual(["n_a"]);
  });

  it("deletes a node's receipt shares of versions its tracker no longer keeps", async () => {
    await setup();
    const a = await node("n_a", { maxVersions: 2 });
    const b = await node("n_b");
    a.connect(tenantId, ENV, "a-1");
    await a.mirror.tick();
    await b.mirror.tick();
    const v1 = await commit("f1", a);
    const v2 = await commit("f2", a);
    await a.mirror.tick();
    expect((await clusterRows(t.database)).receipts).toEqual([
      { node_id: "n_a", env: ENV, version: v1, connected: 1 },
      { node_id: "n_a", env: ENV, version: v2, connected: 1 },
    ]);
    const v3 = await commit("f3", a);
    await a.mirror.tick();
    expect((await clusterRows(t.database)).receipts).toEqual([
      { node_id: "n_a", env: ENV, version: v2, connected: 1 },
      { node_id: "n_a", env: ENV, version: v3, connected: 1 },
    ]);
  });
});
