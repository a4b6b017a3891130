/**
 * The store compiles what SDKs will receive with the SDK's own compiler before it
 * commits. The inputs here bypass the schemas (as a store caller may, and as a
 * config stored before they agreed with the SDK does), so the gate alone decides.
 */
import { and, count, eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../../../src/core/actor.js";
import type { Broadcaster, CommittedChange } from "../../../src/core/broadcaster.js";
import { auditLog, flagConfigs } from "../../../src/core/db/schema.js";
import { openTempStore, type TempStore } from "../../support/temp-db.js";

const opened: TempStore[] = [];
afterEach(() => {
  for (const t of opened.splice(0)) t.close();
});

const FEB_30 = "2026-02-30T00:00:00Z";

async function setup() {
  const published: CommittedChange[] = [];
  const broadcaster: Broadcaster = { publish: (c) => published.push(c), keyRevoked: () => {} };
  const t = await openTempStore({ broadcaster });
  opened.push(t);
  const { tenant } = await t.store.createTenant({ name: "acme" });
  const tenantId = tenant.id;
  await t.store.createAttribute(tenantId, SYSTEM_ACTOR, { name: "signup", type: "instant", list: false });
  await t.store.createFlag(tenantId, SYSTEM_ACTOR, { key: "f", kind: "boolean" });
  const db = t.writeDb;
  const auditCount = async () => (await db.select({ n: count() }).from(auditLog).where(eq(auditLog.tenantId, tenantId)))[0]!.n;
  return { store: t.store, tenantId, db, published, auditCount };
}

describe("the compile gate", () => {
  it("refuses the Feb-30 block at the value's path, and writes nothing", async () => {
    const { store, tenantId, published, auditCount } = await setup();
    const [audit, heard] = [await auditCount(), published.length];
    const block = store.blockFlag(tenantId, SYSTEM_ACTOR, "production", "f", {
      reason: "x",
      when: [{ attribute: "signup", op: "before", values: [FEB_30] }],
    });
    await expect(block).rejects.toMatchObject({ kind: "validation", errors: [expect.objectContaining({ path: "when[0].values[0]", code: "uncompilable" })] });
    expect([await auditCount(), published.length]).toEqual([audit, heard]);
    expect((await store.getFlagConfig(tenantId, "production", "f")).rules).toEqual([]);
  });

  it("refuses a version over the SDK's 256 characters", async () => {
    const { store, tenantId } = await setup();
    await store.createAttribute(tenantId, SYSTEM_ACTOR, { name: "appVersion", type: "semver", list: false });
    const block = store.blockFlag(tenantId, SYSTEM_ACTOR, "production", "f", {
      reason: "x",
      when: [{ attribute: "appVersion", op: "semverLt", values: ["1.2.3-" + "a".repeat(300)] }],
    });
    await expect(block).rejects.toMatchObject({ errors: [expect.objectContaining({ path: "when[0].values[0]" })] });
  });

  it("holds a flag stored broken to account: a block points at the stored rule, and removing that rule is accepted", async () => {
    const { store, tenantId, db } = await setup();
    // As the old server stored it: the SDK serves PARSE_ERROR for the whole flag.
    const broken = { id: "old", when: [{ attribute: "signup", op: "before" as const, values: [FEB_30] }], serve: { variant: "off" } };
    await db.update(flagConfigs).set({ rules: [broken] }).where(and(eq(flagConfigs.tenantId, tenantId), eq(flagConfigs.flagKey, "f")));
    const block = store.blockFlag(tenantId, SYSTEM_ACTOR, "production", "f", { reason: "x", when: [{ attribute: "employer", op: "in", values: ["acme"] }] });
    await expect(block).rejects.toMatchObject({ errors: [expect.objectContaining({ path: "rules[1].when[0].values[0]", code: "uncompilable" })] });
    await expect(store.killFlag(tenantId, SYSTEM_ACTOR, "production", "f", { reason: "x" })).rejects.toMatchObject({
      errors: [expect.objectContaining({ path: "rules[0].when[0].values[0]" })],
    });
    expect(await store.removeRule(tenantId, SYSTEM_ACTOR, "production", "f", "old", { reason: "fix" })).toMatchObject({ version: expect.any(Number) });
    expect(await store.killFlag(tenantId, SYSTEM_ACTOR, "production", "f", { reason: "x" })).toMatchObject({ version: expect.any(Number) });
  });

  it("refuses a segment the SDK cannot compile, naming the flags it would break", async () => {
    const { store, tenantId } = await setup();
    const segment = { reason: "r", include: [], exclude: [], rules: [{ when: [{ attribute: "signup", op: "exists" as const }] }] };
    await store.putSegment(tenantId, SYSTEM_ACTOR, "production", "early", segment);
    await store.blockFlag(tenantId, SYSTEM_ACTOR, "production", "f", { reason: "x", segment: "early" });
    const put = store.putSegment(tenantId, SYSTEM_ACTOR, "production", "early", {
      ...segment,
      rules: [{ when: [{ attribute: "signup", op: "before", values: [FEB_30] }] }],
    });
    await expect(put).rejects.toMatchObject({
      kind: "validation",
      errors: [
        expect.objectContaining({ path: "rules[0].when[0].values[0]", code: "uncompilable" }),
        expect.objectContaining({ path: "", message: expect.stringMatching(/flag "f" names this segment/), code: "breaks_flag" }),
      ],
    });
    expect((await store.getSegment(tenantId, "production", "early")).rules).toEqual(segment.rules);
  });
});

describe("a PUT that changes nothing", () => {
  it("answers the current config at its version, with no audit entry and nothing broadcast", async () => {
    const { store, tenantId, published, auditCount } = await setup();
    const current = await store.getFlagConfig(tenantId, "production", "f");
    const [audit, heard] = [await auditCount(), published.length];
    const { version: _v, ...state } = current;
    expect(await store.putFlagConfig(tenantId, SYSTEM_ACTOR, "production", "f", { ...state, reason: "no-op" })).toEqual(current);
    expect([await auditCount(), published.length]).toEqual([audit, heard]);
    // A changed body is a change: audited and broadcast.
    await store.putFlagConfig(tenantId, SYSTEM_ACTOR, "production", "f", { ...state, failMode: "closed", reason: "change" });
    expect([await auditCount(), published.length]).toEqual([audit + 1, heard + 1]);
  });

  it("answers a stale If-Match with 409 all the same", async () => {
    const { store, tenantId } = await setup();
    const { version, ...state } = await store.getFlagConfig(tenantId, "production", "f");
    const put = store.putFlagConfig(tenantId, SYSTEM_ACTOR, "production", "f", { ...state, reason: "no-op" }, { ifMatch: version - 1 });
    await expect(put).rejects.toMatchObject({ kind: "staleVersion" });
  });

  it("leaves a segment as it is, with no audit entry and nothing broadcast", async () => {
    const { store, tenantId, published, auditCount } = await setup();
    const segment = { reason: "r", description: "d", include: ["u1"], exclude: [], rules: [] };
    const { segment: created } = await store.putSegment(tenantId, SYSTEM_ACTOR, "production", "s", segment);
    const [audit, heard] = [await auditCount(), published.length];
    expect(await store.putSegment(tenantId, SYSTEM_ACTOR, "production", "s", { ...segment, reason: "again" })).toEqual({ segment: created, created: false });
    expect([await auditCount(), published.length]).toEqual([audit, heard]);
  });
});
