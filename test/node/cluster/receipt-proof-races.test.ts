/**
 * Review regressions: interleavings in which a receipt claims `complete` while
 * an instance that was connected at commit time, on a live node, has not acked.
 * Each test drives the real mirror and propagation source over one shared
 * database file (two clients stand for two processes) and forces one ordering
 * of reads and writes that real timers can produce.
 */
import type { Client, InStatement } from "@libsql/client";
import { afterEach, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../../../src/core/actor.js";
import type { TempStore } from "../../support/temp-db.js";
import { changeRowidOf, clock, clusterRows, committedAtOf, GONE_AFTER_MS, startTwoNodes, stopNodes, type TestNode } from "./cluster-nodes.js";

const ENV = "production";

let t: TempStore;
let tenantId: string;
let a: TestNode;
let b: TestNode;

// Errors are not checked: some tests break a node's writes on purpose.
afterEach(() => stopNodes([a, b], t, false));

async function setup(): Promise<void> {
  ({ t, tenantId, a, b } = await startTwoNodes());
}

/** A real commit; returns its version, commit time and change-log rowid. */
async function commit(flag: string): Promise<{ version: number; committedAt: number; rowid: number }> {
  await t.store.createFlag(tenantId, SYSTEM_ACTOR, { key: flag, kind: "boolean" });
  const version = await t.store.envVersion(tenantId, ENV);
  return {
    version,
    committedAt: await committedAtOf(t.database, tenantId, ENV, version),
    rowid: await changeRowidOf(t.database, tenantId, ENV, version),
  };
}

/** Runs `before` once, just ahead of the first statement on `client` that `matches`. */
function onceBefore(
  client: Client,
  method: "execute" | "batch",
  matches: (sql: string) => boolean,
  before: () => Promise<void>,
): void {
  const original = client[method].bind(client) as (...args: unknown[]) => Promise<unknown>;
  let armed = true;
  (client as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
    const first = args[0] as InStatement | InStatement[];
    const text = (Array.isArray(first) ? first : [first]).map((s) => (typeof s === "string" ? s : s.sql)).join(";");
    if (armed && matches(text)) {
      armed = false;
      await before();
    }
    return original(...args);
  };
}

describe("a receipt asked of a node whose own tail has not read the version yet", () => {
  it("is not complete while that node's own instance has not received it", async () => {
    await setup();
    a.connect(tenantId, ENV, "a-1"); // connected on a before the commit
    await b.mirror.tick();
    await a.mirror.tick();
    await b.mirror.tick();

    // Committed through b: b's hub records it at once, b's mirror writes it.
    const v = await commit("f");
    b.tracker.commit(tenantId, ENV, v.version, v.committedAt);
    b.seen.through = v.rowid;
    await b.mirror.tick();
    // a's commit tail has not polled yet (it polls every 100 ms): a-1 has not even been sent v.
    expect(a.tracker.receiptPart(tenantId, ENV, v.version)).toBeNull();

    const receipt = await a.propagation.receipt(tenantId, ENV, v.version);
    expect(receipt?.complete, JSON.stringify(receipt)).not.toBe(true);
  });
});

describe("a receipt read while another node writes its share", () => {
  it("is not complete when the share lands between reading shares and reading reported_through", async () => {
    await setup();
    a.connect(tenantId, ENV, "a-1");
    await b.mirror.tick();
    await a.mirror.tick();
    await b.mirror.tick();

    const v = await commit("f");
    for (const n of [a, b]) n.tracker.commit(tenantId, ENV, v.version, v.committedAt);
    a.seen.through = b.seen.through = v.rowid;
    await b.mirror.tick(); // b has reported; a's next tick writes a's share (a-1 pending) and reported_through

    // a's tick lands just before b reads how many nodes have not reported.
    onceBefore(b.database.reader, "execute", (sql) => sql.includes("reported_through") && sql.includes("count("), () => a.mirror.tick());
    const torn = await b.propagation.receipt(tenantId, ENV, v.version);
    const settled = await b.propagation.receipt(tenantId, ENV, v.version);
    expect(settled).toMatchObject({ complete: false, pending: [{ instance: "a-1" }] });
    expect(torn?.complete, JSON.stringify(torn)).not.toBe(true);
  });
});

describe("a node declared gone while its own tick is in flight", () => {
  it("does not come back with a node row that claims rows the other node deleted", async () => {
    await setup();
    a.connect(tenantId, ENV, "a-1");
    const v = await commit("f");
    for (const n of [a, b]) n.tracker.commit(tenantId, ENV, v.version, v.committedAt);
    a.seen.through = b.seen.through = v.rowid;
    await b.mirror.tick();
    await a.mirror.tick(); // a writes everything: a-1 and its share of v
    await b.mirror.tick();
    expect(await b.propagation.receipt(tenantId, ENV, v.version)).toMatchObject({ complete: false, pending: [{ instance: "a-1" }] });

    // b keeps beating; a goes quiet (a SIGSTOP, a long GC) ...
    clock.now += GONE_AFTER_MS - 10_000;
    await b.mirror.tick();
    clock.now += 11_000;
    // ... and is stopped between reading the node table (it still sees itself) and
    // committing its batch; b declares it gone meanwhile and deletes its rows.
    onceBefore(a.mirrorClient, "batch", () => true, () => b.mirror.tick());
    await a.mirror.tick();
    await b.mirror.tick();
    await a.mirror.tick();

    const rows = await clusterRows(t.database);
    expect(rows.nodes.map((n) => n.id)).toContain("n_a"); // a is live again
    // a's tracker still holds a-1, connected and not acked ...
    expect(a.tracker.receiptPart(tenantId, ENV, v.version)!.pending).toHaveLength(1);
    // ... so a receipt asked of b must not prove the version complete, and b must list a-1.
    expect(await b.propagation.receipt(tenantId, ENV, v.version)).toMatchObject({ complete: false });
    expect((await b.propagation.instances(tenantId, ENV)).total).toBe(1);
  });
});
