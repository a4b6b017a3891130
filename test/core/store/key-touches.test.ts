/**
 * lastUsedAt is best effort: uses are gathered and written in one batch later,
 * never on a request's path; a batch that meets a busy or faulty database waits
 * for the next try; nothing about it ever rejects.
 */
import { afterEach, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../../../src/core/actor.js";
import { silentBroadcaster } from "../../../src/core/broadcaster.js";
import type { Executor, Statement } from "../../../src/core/db/executor.js";
import { createStore } from "../../../src/core/store/index.js";
import { openTempStore, type TempStore } from "../../support/temp-db.js";

let t: TempStore;
afterEach(() => t?.close());

/** Sleeps end when the test says so. */
function manualTimer() {
  const waiting: { ms: number; wake: () => void }[] = [];
  return {
    waiting,
    timer: { now: () => 0, sleep: (ms: number) => new Promise<void>((wake) => waiting.push({ ms, wake })) },
    /** Ends the oldest sleep; resolves once what it started has settled. */
    async wake(): Promise<number> {
      const sleep = waiting.shift();
      if (!sleep) throw new Error("nothing is sleeping");
      sleep.wake();
      for (let i = 0; i < 20; i++) await Promise.resolve();
      await new Promise((resolve) => setTimeout(resolve, 20));
      return sleep.ms;
    },
  };
}

async function setup(fail: (batch: number) => Error | null) {
  t = await openTempStore();
  const { tenant } = await t.store.createTenant({ name: "acme" });
  const keys = await Promise.all(
    ["a", "b", "c"].map(async (name) => (await t.store.createKey(tenant.id, SYSTEM_ACTOR, { name, role: "viewer" })).key.id),
  );
  const batches: number[] = [];
  const executor: Executor = {
    async commit(statements: readonly Statement[]) {
      batches.push(statements.length);
      const error = fail(batches.length);
      if (error) throw error;
      await t.database.executor.commit(statements);
    },
  };
  const reported: unknown[] = [];
  const manual = manualTimer();
  const store = createStore({
    db: t.database.db,
    executor,
    broadcaster: silentBroadcaster,
    timer: manual.timer,
    onBackgroundError: (e) => reported.push(e),
  });
  /** lastUsedAt of the three keys, in their order. */
  const lastUsed = async () => {
    const items = (await t.store.listKeys(tenant.id, { limit: 100 })).items;
    return keys.map((id) => items.find((k) => k.id === id)!.lastUsedAt);
  };
  return { tenantId: tenant.id, keys, store, batches, reported, manual, lastUsed };
}

const busy = () => Object.assign(new Error("SQLITE_BUSY: database is locked"), { code: "SQLITE_BUSY" });

describe("key uses", () => {
  it("are written together, in one batch, once the gathering pause is over", async () => {
    const { tenantId, keys, store, batches, manual, lastUsed } = await setup(() => null);
    const settled = keys.map((id, i) => store.touchKey(tenantId, id, 1_000 + i));
    expect(batches).toEqual([]);
    expect(await manual.wake()).toBeLessThanOrEqual(100);
    await Promise.all(settled);
    expect(batches).toEqual([3]);
    expect(await lastUsed()).toEqual([1_000, 1_001, 1_002].map((ms) => new Date(ms).toISOString()));
  });

  it("that meet a busy database wait for the next try, which writes the newest use of each key", async () => {
    const { tenantId, keys, store, batches, reported, manual, lastUsed } = await setup((batch) => (batch === 1 ? busy() : null));
    const first = store.touchKey(tenantId, keys[0]!, 1_000);
    await manual.wake();
    await expect(first).resolves.toBeUndefined();
    expect(batches).toEqual([1]);
    expect((await lastUsed())[0]).toBeNull();

    void store.touchKey(tenantId, keys[0]!, 2_000);
    expect(await manual.wake()).toBe(1000); // the retry pause was already waiting
    expect(batches).toEqual([1, 1]);
    expect((await lastUsed())[0]).toBe(new Date(2_000).toISOString());
    expect(reported).toEqual([]);
  });

  it("that fail otherwise are reported once and dropped", async () => {
    const { tenantId, keys, store, batches, reported, manual } = await setup(() => new Error("no such column: last_used_at"));
    const settled = store.touchKey(tenantId, keys[0]!, 1_000);
    await manual.wake();
    await expect(settled).resolves.toBeUndefined();
    expect(batches).toEqual([1]);
    expect(reported).toHaveLength(1);
    expect(manual.waiting).toEqual([]);
  });

  it("still waiting are written by flushKeyUses, which gathers no more", async () => {
    const { tenantId, keys, store, batches, lastUsed } = await setup(() => null);
    void store.touchKey(tenantId, keys[1]!, 5_000);
    await store.flushKeyUses();
    expect(batches).toEqual([1]);
    expect((await lastUsed())[1]).toBe(new Date(5_000).toISOString());
  });
});
