/**
 * Declared attributes at the store: built-ins for every tenant, declarations
 * audited, and no declaration change or deletion that a rule or segment would not
 * survive.
 */
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../../../src/core/actor.js";
import { attributes, auditLog, tenants } from "../../../src/core/db/schema.js";
import { openTempStore, type TempStore } from "../../support/temp-db.js";

const opened: TempStore[] = [];
afterEach(() => {
  for (const t of opened.splice(0)) t.close();
});

async function setup() {
  const t = await openTempStore();
  opened.push(t);
  const { tenant } = await t.store.createTenant({ name: "acme" });
  return { store: t.store, tenantId: tenant.id, db: t.writeDb };
}

const BUILT_INS = ["currentTime", "employer", "key", "nationality", "region"];
const names = (page: { items: { name: string }[] }) => page.items.map((a) => a.name);

describe("built-ins", () => {
  it("are there for every tenant, without a stored row, including one that predates declarations", async () => {
    const { store, tenantId, db } = await setup();
    expect(names(await store.listAttributes(tenantId, { limit: 100 }))).toEqual(BUILT_INS);
    expect(await store.getAttribute(tenantId, "nationality")).toEqual({
      name: "nationality",
      type: "string",
      list: true,
      codes: "iso3166",
      description: expect.any(String),
      builtIn: true,
    });
    // A tenant row written as before this feature: nothing else.
    await db.insert(tenants).values({ id: "oldtenant0", name: "old", createdAt: 0 });
    expect(names(await store.listAttributes("oldtenant0", { limit: 100 }))).toEqual(BUILT_INS);
    expect(await db.select().from(attributes)).toEqual([]);
  });

  it("cannot be declared again, changed or deleted; sending one back unchanged answers it", async () => {
    const { store, tenantId } = await setup();
    await expect(store.createAttribute(tenantId, SYSTEM_ACTOR, { name: "key", list: false })).rejects.toMatchObject({ kind: "conflict" });
    await expect(store.putAttribute(tenantId, SYSTEM_ACTOR, "region", { list: false })).rejects.toMatchObject({ kind: "conflict" });
    await expect(store.deleteAttribute(tenantId, SYSTEM_ACTOR, "employer", {})).rejects.toMatchObject({ kind: "conflict" });
    const region = await store.getAttribute(tenantId, "region");
    expect(await store.putAttribute(tenantId, SYSTEM_ACTOR, "region", { ...region })).toEqual({ attribute: region, created: false });
  });
});

describe("declarations", () => {
  it("list in name order among the built-ins, with paging", async () => {
    const { store, tenantId } = await setup();
    for (const name of ["zone", "Plan", "org.country", "appVersion"]) await store.createAttribute(tenantId, SYSTEM_ACTOR, { name, list: false });
    const all = ["Plan", "appVersion", "currentTime", "employer", "key", "nationality", "org.country", "region", "zone"];
    expect(names(await store.listAttributes(tenantId, { limit: 500 }))).toEqual(all);
    const first = await store.listAttributes(tenantId, { limit: 4 });
    const second = await store.listAttributes(tenantId, { limit: 4, cursor: first.nextCursor });
    const third = await store.listAttributes(tenantId, { limit: 4, cursor: second.nextCursor });
    expect([...names(first), ...names(second), ...names(third)]).toEqual(all);
    expect(third.nextCursor).toBeUndefined();
  });

  it("are audited; a PUT that changes nothing writes no entry", async () => {
    const { store, tenantId, db } = await setup();
    const audit = async () => (await db.select().from(auditLog).where(eq(auditLog.tenantId, tenantId))).map((e) => e.action);
    await store.createAttribute(tenantId, SYSTEM_ACTOR, { name: "plan", type: "string", list: false, reason: "pricing rules" });
    expect(await store.putAttribute(tenantId, SYSTEM_ACTOR, "plan", { type: "string", list: false })).toMatchObject({ created: false });
    await store.putAttribute(tenantId, SYSTEM_ACTOR, "plan", { type: "string", list: true });
    await store.putAttribute(tenantId, SYSTEM_ACTOR, "tier", { list: false });
    await store.deleteAttribute(tenantId, SYSTEM_ACTOR, "tier", {});
    expect(await audit()).toEqual(["tenant.create", "attribute.create", "attribute.update", "attribute.create", "attribute.delete"]);
    expect(await store.verifyAudit(tenantId)).toMatchObject({ ok: true });
  });

  it("in use cannot be deleted: the answer names every flag and segment using it", async () => {
    const { store, tenantId } = await setup();
    await store.createAttribute(tenantId, SYSTEM_ACTOR, { name: "plan", list: false });
    await store.createFlag(tenantId, SYSTEM_ACTOR, { key: "model.x", kind: "boolean" });
    await store.blockFlag(tenantId, SYSTEM_ACTOR, "production", "model.x", { reason: "r", when: [{ attribute: "plan", op: "in", values: ["free"] }] });
    await store.putSegment(tenantId, SYSTEM_ACTOR, "production", "beta", {
      reason: "r",
      include: [],
      exclude: [],
      rules: [{ when: [{ attribute: "plan", op: "exists" }] }],
    });
    const refused = store.deleteAttribute(tenantId, SYSTEM_ACTOR, "plan", {});
    await expect(refused).rejects.toMatchObject({ kind: "conflict" });
    await expect(refused).rejects.toThrow(/flag "model.x" in "production" \(rules\[0\]\.when\[0\]\), segment "beta" in "production" \(rules\[0\]\.when\[0\]\)/);
  });

  it("cannot change so that a rule no longer fits: a type, or codes its values are not", async () => {
    const { store, tenantId } = await setup();
    await store.createAttribute(tenantId, SYSTEM_ACTOR, { name: "country", list: false });
    await store.createFlag(tenantId, SYSTEM_ACTOR, { key: "f", kind: "boolean" });
    await store.blockFlag(tenantId, SYSTEM_ACTOR, "production", "f", { reason: "r", when: [{ attribute: "country", op: "in", values: ["fr"] }] });
    await expect(store.putAttribute(tenantId, SYSTEM_ACTOR, "country", { type: "number", list: false })).rejects.toThrow(/flag "f" in "production"/);
    await expect(store.putAttribute(tenantId, SYSTEM_ACTOR, "country", { codes: "iso3166", list: false })).rejects.toMatchObject({ kind: "conflict" });
    expect(await store.putAttribute(tenantId, SYSTEM_ACTOR, "country", { type: "string", list: true })).toMatchObject({ attribute: { type: "string", list: true } });
  });

  it("gate conditions: an undeclared name is refused until it is declared", async () => {
    const { store, tenantId } = await setup();
    await store.createFlag(tenantId, SYSTEM_ACTOR, { key: "f", kind: "boolean" });
    const block = () => store.blockFlag(tenantId, SYSTEM_ACTOR, "production", "f", { reason: "r", when: [{ attribute: "plan", op: "in", values: ["free"] }] });
    await expect(block()).rejects.toMatchObject({ kind: "validation", errors: [expect.objectContaining({ path: "when[0].attribute", code: "unknown_attribute" })] });
    await store.createAttribute(tenantId, SYSTEM_ACTOR, { name: "plan", list: false });
    expect(await block()).toMatchObject({ version: 2 });
  });
});
