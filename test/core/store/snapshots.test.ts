import { afterEach, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../../../src/core/actor.js";
import { changeLog } from "../../../src/core/db/schema.js";
import { and, eq } from "drizzle-orm";
import { openTempStore, type TempStore } from "../../support/temp-db.js";

let t: TempStore;
afterEach(() => t.close());

async function setup() {
  t = await openTempStore();
  const { tenant } = await t.store.createTenant({ name: "acme" });
  const store = t.store;
  await store.createFlag(tenant.id, SYSTEM_ACTOR, { key: "f", kind: "boolean" }); // v1
  await store.putSegment(tenant.id, SYSTEM_ACTOR, "production", "s", { reason: "test", include: ["u"], exclude: [], rules: [] }); // v2
  await store.killFlag(tenant.id, SYSTEM_ACTOR, "production", "f", { reason: "r" }); // v3
  await store.deleteSegment(tenant.id, SYSTEM_ACTOR, "production", "s", {}); // v4
  return { store, tenantId: tenant.id };
}

describe("snapshot", () => {
  it("is the environment at its current version, with its name", async () => {
    const { store, tenantId } = await setup();
    const snapshot = await store.snapshot(tenantId, "production");
    expect(snapshot.version).toBe(4);
    expect(snapshot.env).toBe("production");
    expect(snapshot.flags.f).toMatchObject({ enabled: false, version: 3 });
    expect(snapshot.segments).toEqual({});
  });

  it("answers 404 for an environment the tenant lacks", async () => {
    const { store, tenantId } = await setup();
    await expect(store.snapshot(tenantId, "nowhere")).rejects.toMatchObject({ status: 404 });
    await expect(store.snapshot("othertenant", "production")).rejects.toMatchObject({ status: 404 });
  });
});

describe("changesSince", () => {
  it("replays every change after a version, oldest first, as the broadcaster heard them", async () => {
    const { store, tenantId } = await setup();
    const changes = await store.changesSince(tenantId, "production", 1);
    expect(changes!.map((c) => [c.prev, c.version])).toEqual([[1, 2], [2, 3], [3, 4]]);
    expect(changes![0]!.segments.s).toMatchObject({ include: ["u"], version: 2 });
    expect(changes![1]!.flags.f).toMatchObject({ enabled: false });
    expect(changes![2]!.removed).toEqual({ flags: [], segments: ["s"] });
  });

  it("answers [] for the current version, and null for a future or foreign one", async () => {
    const { store, tenantId } = await setup();
    expect(await store.changesSince(tenantId, "production", 4)).toEqual([]);
    expect(await store.changesSince(tenantId, "production", 5)).toBeNull();
    expect(await store.changesSince(tenantId, "production", -1)).toBeNull();
    expect(await store.changesSince(tenantId, "nowhere", 0)).toBeNull();
  });

  it("answers null when the log no longer holds every change", async () => {
    const { store, tenantId } = await setup();
    await t.writeDb
      .delete(changeLog)
      .where(and(eq(changeLog.tenantId, tenantId), eq(changeLog.env, "production"), eq(changeLog.version, 2)));
    expect(await store.changesSince(tenantId, "production", 1)).toBeNull();
    expect(await store.changesSince(tenantId, "production", 2)).toHaveLength(2);
  });
});
