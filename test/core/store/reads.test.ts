/**
 * The reads every store area shares (src/core/store/reads.ts), on a real libsql
 * file: what a 404 names, and the segments rules name read in batches.
 */
import { afterEach, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../../../src/core/actor.js";
import type { Client, InStatement } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { schema, segments } from "../../../src/core/db/schema.js";
import { readNamedSegments } from "../../../src/core/store/reads.js";
import { openTempStore, type TempStore } from "../../support/temp-db.js";

let t: TempStore;
afterEach(() => t.close());

async function tenant() {
  t = await openTempStore();
  const { tenant } = await t.store.createTenant({ name: "acme" });
  await t.store.createFlag(tenant.id, SYSTEM_ACTOR, { key: "f", kind: "boolean" });
  return { store: t.store, tenantId: tenant.id };
}

describe("a read of something missing", () => {
  it("answers 404 naming the environment or flag it did not find", async () => {
    const { store, tenantId } = await tenant();
    await expect(store.getEnvironment(tenantId, "nowhere")).rejects.toMatchObject({ kind: "notFound", message: 'No environment "nowhere".' });
    await expect(store.getFlag(tenantId, "ghost")).rejects.toMatchObject({ kind: "notFound", message: 'No flag "ghost".' });
    await expect(store.getFlagConfig(tenantId, "production", "ghost")).rejects.toMatchObject({ kind: "notFound", message: 'No flag "ghost".' });
  });
});

describe("the segments that rules name", () => {
  it("are all found when a flag names more than a statement binds at once (batches of 90)", async () => {
    const { store, tenantId } = await tenant();
    const keys = Array.from({ length: 95 }, (_, i) => `s${String(i).padStart(2, "0")}`);
    // Written in one statement behind the store's back: the subject is the read, not 95 commits.
    await t.writeDb
      .insert(segments)
      .values(keys.map((key) => ({ tenantId, env: "production", key, include: [`u-${key}`], exclude: [], rules: [], version: 0, updatedAt: 0 })));
    const rules = [{ id: "r1", when: [{ segment: keys }], serve: { variant: "off" as const } }];
    // The write checks that every named segment exists: one missed by the batching would refuse it.
    const written = await store.putFlagConfig(tenantId, SYSTEM_ACTOR, "production", "f", {
      enabled: true,
      offVariant: "off",
      rules,
      fallthrough: { variant: "on" },
      failMode: "open",
      reason: "block every segment",
    });
    expect(written.rules[0]!.when).toEqual([{ segment: keys }]);
  });

  it("are read in statements that bind at most 100 parameters, as a Durable Object requires", async () => {
    const { tenantId } = await tenant();
    const keys = Array.from({ length: 120 }, (_, i) => `s${String(i).padStart(3, "0")}`);
    await t.writeDb
      .insert(segments)
      .values(keys.map((key) => ({ tenantId, env: "production", key, include: [], exclude: [], rules: [], version: 0, updatedAt: 0 })));
    const bound: number[] = [];
    const client = t.database.client;
    const counting = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop !== "execute") return Reflect.get(target, prop, receiver);
        return (stmt: InStatement) => {
          if (typeof stmt !== "string") bound.push(Array.isArray(stmt.args) ? stmt.args.length : Object.keys(stmt.args ?? {}).length);
          return target.execute(stmt);
        };
      },
    }) as Client;
    const found = await readNamedSegments(drizzle(counting, { schema }), tenantId, "production", [{ when: [{ segment: keys }] }]);
    expect(Object.keys(found)).toEqual(keys);
    expect(bound).toHaveLength(2);
    expect(Math.max(...bound)).toBeLessThanOrEqual(100);
  });
});
