/**
 * What one commit tells, beyond its rows: the metrics and log (telemetry), the
 * operator event source (the commit observer), the caller (`actor.onSealed`), the
 * webhook outbox and the host's background loop (`onDue`); that none of them can
 * fail a write that landed; and how a write that keeps colliding gives up.
 */
import { asc, eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SYSTEM_ACTOR, type Actor } from "../../../src/core/actor.js";
import type { AuditHead } from "../../../src/core/audit/chain.js";
import type { Broadcaster, CommittedChange } from "../../../src/core/broadcaster.js";
import type { Executor } from "../../../src/core/db/executor.js";
import { webhookEvents } from "../../../src/core/db/schema.js";
import type { CommitRecord } from "../../../src/core/events/operator-events.js";
import { createStore, type StoreOptions } from "../../../src/core/store/index.js";
import { telemetryOf, type CommitEvent } from "../../../src/core/telemetry.js";
import { openTempStore, type TempStore } from "../../support/temp-db.js";

const NOW = Date.parse("2026-12-07T12:00:00Z");
const OPERATOR: Actor = { keyId: "k_operator", name: "on-call", role: "operator" };

let t: TempStore | undefined;
afterEach(() => {
  vi.restoreAllMocks();
  t?.close();
  t = undefined;
});

/** A store on a fresh file with every side channel recorded, and a tenant with flag `f`. */
async function recordedStore(options: Partial<StoreOptions> = {}) {
  t = await openTempStore();
  const heard = { telemetry: [] as CommitEvent[], commits: [] as CommitRecord[], due: [] as number[], errors: [] as unknown[] };
  const store = createStore({
    db: t.database.db,
    executor: t.database.executor,
    broadcaster: { publish() {}, keyRevoked() {} },
    clock: () => NOW,
    telemetry: telemetryOf({ changeCommitted: (event) => heard.telemetry.push(event) }),
    events: { committed: (commit) => heard.commits.push(commit) },
    onDue: (at) => heard.due.push(at),
    onBackgroundError: (error) => heard.errors.push(error),
    ...options,
  });
  const { tenant } = await store.createTenant({ name: "acme" });
  await store.createFlag(tenant.id, SYSTEM_ACTOR, { key: "f", kind: "boolean" });
  heard.telemetry.length = heard.commits.length = heard.due.length = heard.errors.length = 0;
  return { store, tenantId: tenant.id, heard, db: t.database.db };
}

describe("a commit tells", () => {
  it("telemetry: the action, entity, key, versions it made, audit head, actor and commit time", async () => {
    const { store, tenantId, heard } = await recordedStore();
    const sealed: AuditHead[] = [];
    const { version } = await store.killFlag(tenantId, { ...OPERATOR, onSealed: (head) => sealed.push(head) }, "production", "f", { reason: "outage" });
    expect(sealed).toHaveLength(1);
    expect(heard.telemetry).toEqual([
      {
        tenantId,
        action: "flag.kill",
        entity: "flag-config",
        key: "f",
        versions: [{ env: "production", version }],
        audit: sealed[0],
        actor: { keyId: "k_operator", role: "operator" },
        at: NOW,
      },
    ]);
  });

  it("the commit observer: the sealed audit entry and each environment change", async () => {
    const { store, tenantId, heard } = await recordedStore();
    const sealed: AuditHead[] = [];
    const { version } = await store.killFlag(tenantId, { ...OPERATOR, onSealed: (head) => sealed.push(head) }, "production", "f", {
      reason: "outage",
      directive: "INC-7",
    });
    expect(heard.commits).toEqual([
      {
        tenantId,
        audit: {
          ...sealed[0],
          at: NOW,
          actor: { keyId: "k_operator", name: "on-call", role: "operator" },
          action: "flag.kill",
          entity: "flag-config",
          key: "f",
          env: "production",
          reason: "outage",
          directive: "INC-7",
        },
        changes: [{ env: "production", version, entity: "flag", key: "f" }],
      },
    ]);
  });

  it("the host's background loop only when the commit queued work for it", async () => {
    const { store, tenantId, heard } = await recordedStore();
    await store.killFlag(tenantId, OPERATOR, "production", "f", { reason: "nobody listens" });
    expect(heard.due).toEqual([]);
    await store.webhooks.create(tenantId, SYSTEM_ACTOR, { url: "https://hooks.example.com/killswitch", events: ["change.committed"] });
    heard.due.length = 0;
    await store.restoreFlag(tenantId, OPERATOR, "production", "f", { reason: "a webhook listens" });
    expect(heard.due).toEqual([NOW]);
  });

  it("the host's background loop when a scheduled change falls due", async () => {
    const { store, tenantId, heard } = await recordedStore();
    const at = NOW + 3_600_000;
    await store.schedule.create(tenantId, OPERATOR, "production", "f", { action: "kill", input: { at: new Date(at).toISOString(), reason: "maintenance" } });
    expect(heard.due).toEqual([at]);
  });
});

describe("the webhook events of a commit", () => {
  it("are one change.committed per environment it changes, each with the audit entry's who, why and where in the chain", async () => {
    const { store, tenantId, db } = await recordedStore();
    await store.createEnvironment(tenantId, SYSTEM_ACTOR, { key: "staging" });
    await store.webhooks.create(tenantId, SYSTEM_ACTOR, { url: "https://hooks.example.com/killswitch", events: ["change.committed"] });
    const sealed: AuditHead[] = [];
    await store.createFlag(tenantId, { ...OPERATOR, onSealed: (head) => sealed.push(head) }, { key: "g", kind: "boolean", reason: "launch", directive: "INC-9" });
    const rows = await db.select().from(webhookEvents).where(eq(webhookEvents.tenantId, tenantId)).orderBy(asc(webhookEvents.createdAt));
    const bodies = rows.map((row) => JSON.parse(row.payload));
    expect(rows.map((row) => row.type)).toEqual(["change.committed", "change.committed"]);
    const common = {
      tenant: tenantId,
      flag: "g",
      entity: "flag",
      key: "g",
      action: "flag.create",
      actor: { keyId: "k_operator", name: "on-call", role: "operator" },
      reason: "launch",
      directive: "INC-9",
      audit: sealed[0],
    };
    expect(bodies.map((body) => body.data).sort((a, b) => a.env.localeCompare(b.env))).toEqual([
      { ...common, env: "production", version: 2 },
      { ...common, env: "staging", version: 1 },
    ]);
    expect(bodies[0].timestamp).toBe(new Date(NOW).toISOString());
  });
});

describe("a segment's change", () => {
  it("is published as a segment, or a removed one, and its webhook event names no flag", async () => {
    const published: CommittedChange[] = [];
    const { store, tenantId, db } = await recordedStore({ broadcaster: { publish: (change) => void published.push(change), keyRevoked() {} } });
    await store.webhooks.create(tenantId, SYSTEM_ACTOR, { url: "https://hooks.example.com/killswitch", events: ["change.committed"] });
    published.length = 0; // the setup's flag
    await store.putSegment(tenantId, OPERATOR, "production", "beta", { reason: "r", include: ["u1"], exclude: [], rules: [] });
    await store.deleteSegment(tenantId, OPERATOR, "production", "beta", { reason: "retired" });
    expect(published.map((c) => [Object.keys(c.flags), Object.keys(c.segments), c.removed])).toEqual([
      [[], ["beta"], { flags: [], segments: [] }],
      [[], [], { flags: [], segments: ["beta"] }],
    ]);
    expect(published[0]!.segments.beta).toMatchObject({ key: "beta", include: ["u1"] });
    const rows = await db.select().from(webhookEvents).where(eq(webhookEvents.tenantId, tenantId));
    const events = rows.map((row) => JSON.parse(row.payload).data).map(({ flag, entity, key, action }) => ({ flag, entity, key, action }));
    // One clock instant for both: ordered by action.
    expect(events.sort((a, b) => a.action.localeCompare(b.action))).toEqual([
      { flag: null, entity: "segment", key: "beta", action: "segment.create" },
      { flag: null, entity: "segment", key: "beta", action: "segment.delete" },
    ]);
  });
});

describe("the webhook events a plan adds", () => {
  it("carry what every event carries, and the plan's own data", async () => {
    const { store, tenantId, db } = await recordedStore();
    await store.webhooks.create(tenantId, SYSTEM_ACTOR, { url: "https://hooks.example.com/killswitch", events: ["directive.created"] });
    const sealed: AuditHead[] = [];
    const directive = await store.createDirective(tenantId, { ...OPERATOR, onSealed: (head) => sealed.push(head) }, {
      ref: "INC-11",
      title: "Suspend fable-5 for foreign nationals",
      receivedAt: Date.parse("2026-12-07T10:00:00Z"),
      reason: "recorded on receipt",
    });
    const rows = await db.select().from(webhookEvents).where(eq(webhookEvents.tenantId, tenantId));
    expect(rows.map((row) => [row.type, JSON.parse(row.payload).data])).toEqual([
      [
        "directive.created",
        {
          tenant: tenantId,
          env: null,
          version: null,
          flag: null,
          entity: "directive",
          key: "INC-11",
          action: "directive.create",
          actor: { keyId: "k_operator", name: "on-call", role: "operator" },
          reason: "recorded on receipt",
          directive: "INC-11",
          audit: sealed[0],
          directiveRecord: JSON.parse(JSON.stringify(directive)),
        },
      ],
    ]);
  });
});

describe("a side channel that throws", () => {
  it("is reported and never fails the write that landed: telemetry, observer, revoked keys, resets and the caller", async () => {
    const throwing = (what: string) => () => {
      throw new Error(`${what} failed`);
    };
    const broadcaster: Broadcaster = { publish() {}, keyRevoked: throwing("keyRevoked"), resetEnvironment: throwing("resetEnvironment") };
    const { store, tenantId, heard } = await recordedStore({
      broadcaster,
      telemetry: telemetryOf({ changeCommitted: throwing("telemetry") }),
      events: { committed: throwing("observer") },
    });
    const { key } = await store.createKey(tenantId, SYSTEM_ACTOR, { name: "edge", role: "sdk", env: "production" });
    await expect(store.revokeKey(tenantId, SYSTEM_ACTOR, key.id, { reason: "leaked" })).resolves.toBeUndefined();
    await expect(store.rotateSigningKey(tenantId, SYSTEM_ACTOR, "production", { reason: "rotation" })).resolves.toMatchObject({ env: "production" });
    await expect(store.killFlag(tenantId, { ...OPERATOR, onSealed: throwing("onSealed") }, "production", "f", { reason: "r" })).resolves.toEqual({ version: 2 });
    expect(heard.errors.map((e) => (e as Error).message)).toEqual([
      // createKey
      "observer failed",
      "telemetry failed",
      // revokeKey
      "observer failed",
      "keyRevoked failed",
      "telemetry failed",
      // rotateSigningKey
      "observer failed",
      "resetEnvironment failed",
      "telemetry failed",
      // killFlag
      "observer failed",
      "telemetry failed",
      "onSealed failed",
    ]);
    expect((await store.getFlagConfig(tenantId, "production", "f")).enabled).toBe(false);
  });
});

describe("a store whose side channels are optional", () => {
  it("reports nothing when it has no commit observer, the broadcaster cannot reset, and the actor wants no audit head", async () => {
    await recordedStore();
    const errors: unknown[] = [];
    const store = createStore({
      db: t!.database.db,
      executor: t!.database.executor,
      broadcaster: { publish() {}, keyRevoked() {} },
      clock: () => NOW,
      onBackgroundError: (error) => errors.push(error),
    });
    const { tenant } = await store.createTenant({ name: "bare" });
    await store.createFlag(tenant.id, SYSTEM_ACTOR, { key: "f", kind: "boolean" });
    await store.rotateSigningKey(tenant.id, SYSTEM_ACTOR, "production", { reason: "rotation" });
    await store.resetEpoch(tenant.id, SYSTEM_ACTOR, "production", { reason: "restored" });
    await store.killFlag(tenant.id, OPERATOR, "production", "f", { reason: "r" });
    expect(errors).toEqual([]);
  });
});

describe("a write that keeps colliding with another writer's commit", () => {
  /** Every commit meets a key collision, as when another process takes each audit seq first. */
  const colliding: Executor & { attempts: number } = {
    attempts: 0,
    async commit() {
      colliding.attempts++;
      throw Object.assign(new Error("UNIQUE constraint failed: audit_log.tenant_id, audit_log.seq"), { code: "SQLITE_CONSTRAINT_PRIMARYKEY" });
    },
  };

  it("is planned maxAttempts times, with a short random pause between, then answers 503 busy", async () => {
    const { tenantId } = await recordedStore();
    const sleeps: number[] = [];
    const store = createStore({
      db: t!.database.db,
      executor: colliding,
      broadcaster: { publish() {}, keyRevoked() {} },
      maxAttempts: 4,
      timer: { now: () => 0, sleep: async (ms) => void sleeps.push(ms) },
    });
    vi.spyOn(Math, "random").mockReturnValue(0.75);
    colliding.attempts = 0;
    const error = await store.killFlag(tenantId, OPERATOR, "production", "f", { reason: "r" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "busy", status: 503, message: "Too many concurrent writes to this tenant; retry the request." });
    expect(colliding.attempts).toBe(4);
    // Up to 2^attempt ms, at most 50: here three quarters of it.
    expect(sleeps).toEqual([1.5, 3, 6]);
  });

  it("pauses at most 50 ms however many attempts it takes", async () => {
    const { tenantId } = await recordedStore();
    const sleeps: number[] = [];
    const store = createStore({
      db: t!.database.db,
      executor: colliding,
      broadcaster: { publish() {}, keyRevoked() {} },
      maxAttempts: 8,
      timer: { now: () => 0, sleep: async (ms) => void sleeps.push(ms) },
    });
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    await expect(store.killFlag(tenantId, OPERATOR, "production", "f", { reason: "r" })).rejects.toMatchObject({ kind: "busy" });
    expect(sleeps).toEqual([1, 2, 4, 8, 16, 25, 25]);
  });
});

describe("a write that meets another process's lock", () => {
  it("pauses 5, 10, 20 … 250 ms, each cut by up to half, and says how long it waited when it gives up", async () => {
    const { tenantId } = await recordedStore();
    const clock = { now: 0, sleeps: [] as number[] };
    const locked: Executor = {
      async commit() {
        throw Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
      },
    };
    const store = createStore({
      db: t!.database.db,
      executor: locked,
      broadcaster: { publish() {}, keyRevoked() {} },
      writeBudgetMs: 2000,
      timer: {
        now: () => clock.now,
        sleep: async (ms) => {
          clock.sleeps.push(ms);
          clock.now += ms;
        },
      },
    });
    vi.spyOn(Math, "random").mockReturnValue(1);
    const error = await store.killFlag(tenantId, OPERATOR, "production", "f", { reason: "r" }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: "busy",
      status: 503,
      message: "Another process held the database's write lock for the 2 s this write may wait; retry the request.",
    });
    // Uncut (random 1): 5 … 160, then 250 until the next pause would pass 2,000 ms.
    expect(clock.sleeps).toEqual([5, 10, 20, 40, 80, 160, 250, 250, 250, 250, 250, 250]);
    expect(clock.now).toBe(1815);
  });

  it("still takes a pause that ends exactly when the budget does", async () => {
    const { tenantId } = await recordedStore();
    const clock = { now: 0, sleeps: [] as number[] };
    const locked: Executor = {
      async commit() {
        throw Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
      },
    };
    const store = createStore({
      db: t!.database.db,
      executor: locked,
      broadcaster: { publish() {}, keyRevoked() {} },
      writeBudgetMs: 15,
      timer: {
        now: () => clock.now,
        sleep: async (ms) => {
          clock.sleeps.push(ms);
          clock.now += ms;
        },
      },
    });
    vi.spyOn(Math, "random").mockReturnValue(1);
    await expect(store.killFlag(tenantId, OPERATOR, "production", "f", { reason: "r" })).rejects.toMatchObject({ kind: "busy" });
    // 5 then 10 ends at 15 ms, the budget: taken; the next, 20, would pass it.
    expect(clock.sleeps).toEqual([5, 10]);
  });
});
