/**
 * The snapshot and the replay at their edges, on a real libsql file: a snapshot is
 * never a torn read while other processes commit, and a replay is whole or nothing
 * (from version 0, at the replay limit, with the log's head or tail missing).
 */
import type { Client, InStatement } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { afterEach, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../../../src/core/actor.js";
import { silentBroadcaster } from "../../../src/core/broadcaster.js";
import { schema } from "../../../src/core/db/schema.js";
import { createStore } from "../../../src/core/store/index.js";
import { MAX_REPLAY } from "../../../src/core/store/snapshots.js";
import { openTempStore, type TempStore } from "../../support/temp-db.js";

let t: TempStore;
afterEach(() => t.close());

const sql = (statement: string, args: (string | number)[] = []) => t.database.client.execute({ sql: statement, args });

/** A tenant whose production is at version 4: flag f killed at 3, segment s put at 2 and deleted at 4. */
async function seeded() {
  t = await openTempStore();
  const { store } = t;
  const { tenant } = await store.createTenant({ name: "acme" });
  await store.createFlag(tenant.id, SYSTEM_ACTOR, { key: "f", kind: "boolean" });
  await store.putSegment(tenant.id, SYSTEM_ACTOR, "production", "s", { reason: "test", include: ["u"], exclude: [], rules: [] });
  await store.killFlag(tenant.id, SYSTEM_ACTOR, "production", "f", { reason: "r" });
  await store.deleteSegment(tenant.id, SYSTEM_ACTOR, "production", "s", {});
  return { store, tenantId: tenant.id };
}

/**
 * A store whose reads go through a connection on which, just before each check of the
 * environment's version that follows the entity reads, another process commits: it
 * kills flag f again (its row and the version move together), `commits` times at most.
 */
function storeWithCommitsBetweenReads(tenantId: string, commits: number) {
  const counted = { landed: 0 };
  const client = t.database.client;
  const racing = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== "execute") return Reflect.get(target, prop, receiver);
      return async (stmt: InStatement) => {
        const text = typeof stmt === "string" ? stmt : stmt.sql;
        if (/^select "version" from "environments"/.test(text) && counted.landed < commits) {
          counted.landed++;
          await target.batch(
            [
              { sql: "UPDATE environments SET version = version + 1 WHERE tenant_id = ? AND key = 'production'", args: [tenantId] },
              {
                sql: "UPDATE flag_configs SET version = (SELECT version FROM environments WHERE tenant_id = ? AND key = 'production'), enabled = ? WHERE tenant_id = ? AND env = 'production' AND flag_key = 'f'",
                args: [tenantId, counted.landed % 2, tenantId],
              },
            ],
            "write",
          );
        }
        return target.execute(stmt);
      };
    },
  }) as Client;
  const store = createStore({ db: drizzle(racing, { schema }), executor: t.database.executor, broadcaster: silentBroadcaster });
  return { store, counted };
}

describe("a snapshot while other processes commit", () => {
  it("reads again when a commit lands between its reads, and answers the state of the version it names", async () => {
    const { tenantId } = await seeded();
    const { store, counted } = storeWithCommitsBetweenReads(tenantId, 1);
    const snapshot = await store.snapshot(tenantId, "production");
    expect(counted.landed).toBe(1);
    expect(snapshot.version).toBe(5);
    expect(snapshot.flags.f).toMatchObject({ version: 5, enabled: true });
  });

  it("gives up reading again after five attempts: a stream of commits cannot starve it", async () => {
    const { tenantId } = await seeded();
    const { store, counted } = storeWithCommitsBetweenReads(tenantId, 100);
    const snapshot = await store.snapshot(tenantId, "production");
    // Attempts 1-4 each saw a commit land; the fifth answers what it read.
    expect(counted.landed).toBe(4);
    expect(snapshot.version).toBe(8);
    expect(snapshot.flags.f).toMatchObject({ version: 8, enabled: false });
  });

  it("serves only the flags that have a config in the environment", async () => {
    const { store, tenantId } = await seeded();
    await store.createFlag(tenantId, SYSTEM_ACTOR, { key: "g", kind: "boolean" });
    await sql("DELETE FROM flag_configs WHERE tenant_id = ? AND env = 'production' AND flag_key = 'g'", [tenantId]);
    expect(Object.keys((await store.snapshot(tenantId, "production")).flags)).toEqual(["f"]);
  });
});

describe("changesSince at its edges", () => {
  it("replays every change from version 0", async () => {
    const { store, tenantId } = await seeded();
    expect((await store.changesSince(tenantId, "production", 0))!.map((c) => c.version)).toEqual([1, 2, 3, 4]);
  });

  it("answers null for a version that is not a whole number", async () => {
    const { store, tenantId } = await seeded();
    expect(await store.changesSince(tenantId, "production", 1.5)).toBeNull();
    expect(await store.changesSince(tenantId, "production", Number.NaN)).toBeNull();
  });

  it("answers null when the log lost its newest change, or every change after the version", async () => {
    const { store, tenantId } = await seeded();
    await sql("DELETE FROM change_log WHERE tenant_id = ? AND env = 'production' AND version = 4", [tenantId]);
    expect(await store.changesSince(tenantId, "production", 1)).toBeNull();
    await sql("DELETE FROM change_log WHERE tenant_id = ? AND env = 'production' AND version > 1", [tenantId]);
    expect(await store.changesSince(tenantId, "production", 1)).toBeNull();
  });

  it(`replays up to ${MAX_REPLAY} changes, and answers null beyond`, async () => {
    t = await openTempStore();
    const { tenant } = await t.store.createTenant({ name: "acme" });
    // The log and version of an environment MAX_REPLAY + 1 commits along, written directly.
    const payload = JSON.stringify({ key: "s", include: [], exclude: [], rules: [], version: 1 });
    await sql(
      `INSERT INTO change_log (tenant_id, env, version, entity, key, payload, committed_at)
       WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < ?)
       SELECT ?, 'production', v, 'segment', 's', ?, 0 FROM n`,
      [MAX_REPLAY + 1, tenant.id, payload],
    );
    await sql("UPDATE environments SET version = ? WHERE tenant_id = ? AND key = 'production'", [MAX_REPLAY + 1, tenant.id]);
    const store = createStore({ db: t.database.db, executor: t.database.executor, broadcaster: silentBroadcaster });
    const replay = await store.changesSince(tenant.id, "production", 1);
    expect(replay).toHaveLength(MAX_REPLAY);
    expect(replay!.at(-1)!.version).toBe(MAX_REPLAY + 1);
    expect(await store.changesSince(tenant.id, "production", 0)).toBeNull();
  });
});
