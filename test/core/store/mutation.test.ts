/**
 * The write path at the store level, with real libsql files: what one commit
 * writes, what a refused plan leaves, how concurrent writers (in this process
 * and in others) are detected, and what the broadcaster is told.
 */
import { count, eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../../../src/core/actor.js";
import type { Broadcaster, CommittedChange } from "../../../src/core/broadcaster.js";
import type { Executor, Statement } from "../../../src/core/db/executor.js";
import { auditLog, changeLog, environments } from "../../../src/core/db/schema.js";
import { ProblemError } from "../../../src/core/problem.js";
import type { AuditHead } from "../../../src/core/audit/chain.js";
import { createStore } from "../../../src/core/store/index.js";
import { toCommittedChange } from "../../../src/core/store/mutation.js";
import { openDatabase } from "../../../src/node/database.js";
import { openTempStore, type TempStore } from "../../support/temp-db.js";

const opened: TempStore[] = [];
afterEach(() => {
  for (const t of opened.splice(0)) t.close();
});

function recorder(): Broadcaster & { changes: CommittedChange[]; revoked: string[] } {
  const changes: CommittedChange[] = [];
  const revoked: string[] = [];
  return { changes, revoked, publish: (c) => changes.push(c), keyRevoked: (_t, id) => revoked.push(id) };
}

async function setup(broadcaster?: Broadcaster) {
  const t = await openTempStore({ broadcaster });
  opened.push(t);
  const { tenant } = await t.store.createTenant({ name: "acme" });
  await t.store.createEnvironment(tenant.id, SYSTEM_ACTOR, { key: "staging" });
  return { t, store: t.store, tenantId: tenant.id, db: t.database.db };
}

describe("one commit", () => {
  it("writes the state, one change-log row per environment, the version bumps and one audit entry", async () => {
    const { store, tenantId, db } = await setup();
    await store.createFlag(tenantId, SYSTEM_ACTOR, { key: "model.fable-5", kind: "boolean" });
    const rows = await db.select().from(changeLog).where(eq(changeLog.tenantId, tenantId));
    expect(rows.map((r) => [r.env, r.version, r.entity, r.key])).toEqual([
      ["production", 1, "flag", "model.fable-5"],
      ["staging", 1, "flag", "model.fable-5"],
    ]);
    expect(JSON.parse(rows[0]!.payload!)).toMatchObject({ key: "model.fable-5", enabled: true, version: 1 });
    const envs = await db.select().from(environments).where(eq(environments.tenantId, tenantId));
    expect(envs.map((e) => e.version)).toEqual([1, 1]);
    const [audit] = await db.select({ n: count() }).from(auditLog).where(eq(auditLog.tenantId, tenantId));
    expect(audit!.n).toBe(3);
  });

  it("writes a removal's change-log row with no payload (NULL, which readers of the raw row test for)", async () => {
    const { store, tenantId, db } = await setup();
    await store.createFlag(tenantId, SYSTEM_ACTOR, { key: "f", kind: "boolean" });
    await store.deleteFlag(tenantId, SYSTEM_ACTOR, "f", { reason: "retired" });
    const rows = await db.select().from(changeLog).where(eq(changeLog.tenantId, tenantId));
    expect(rows.filter((r) => r.env === "production").map((r) => [r.version, r.payload === null])).toEqual([
      [1, false],
      [2, true],
    ]);
  });

  it("commits nothing for a plan that finds nothing to change, and answers the state as it is", async () => {
    const heard = recorder();
    const { store, tenantId, db } = await setup(heard);
    const input = { reason: "r", include: ["u1"], exclude: [], rules: [] };
    const put = await store.putSegment(tenantId, SYSTEM_ACTOR, "production", "beta", input);
    const audit = await db.select().from(auditLog).where(eq(auditLog.tenantId, tenantId));
    heard.changes.length = 0;
    expect(await store.putSegment(tenantId, SYSTEM_ACTOR, "production", "beta", input)).toEqual({ segment: put.segment, created: false });
    expect(heard.changes).toEqual([]);
    expect(await db.select().from(auditLog).where(eq(auditLog.tenantId, tenantId))).toEqual(audit);
  });

  it("writes nothing when the plan refuses", async () => {
    const { store, tenantId, db } = await setup();
    await store.createFlag(tenantId, SYSTEM_ACTOR, { key: "f", kind: "boolean" });
    const before = {
      log: await db.select().from(changeLog),
      audit: await db.select().from(auditLog),
      envs: await db.select().from(environments),
    };
    await expect(store.blockFlag(tenantId, SYSTEM_ACTOR, "production", "f", { reason: "r", segment: "nobody" })).rejects.toThrow(ProblemError);
    await expect(store.killFlag(tenantId, SYSTEM_ACTOR, "production", "f", { reason: "r" }, { ifMatch: 0 })).rejects.toMatchObject({ kind: "staleVersion" });
    await expect(store.patchFlag(tenantId, SYSTEM_ACTOR, "f", { variants: { on: true } })).rejects.toMatchObject({ kind: "conflict" });
    expect({
      log: await db.select().from(changeLog),
      audit: await db.select().from(auditLog),
      envs: await db.select().from(environments),
    }).toEqual(before);
  });
});

describe("the broadcaster", () => {
  it("hears each committed environment change, after the commit, with prev = version - 1", async () => {
    const heard = recorder();
    const { store, tenantId } = await setup(heard);
    await store.createFlag(tenantId, SYSTEM_ACTOR, { key: "f", kind: "boolean" });
    await store.killFlag(tenantId, SYSTEM_ACTOR, "production", "f", { reason: "r" });
    await store.deleteFlag(tenantId, SYSTEM_ACTOR, "f", { reason: "retired" });
    const production = heard.changes.filter((c) => c.env === "production");
    expect(production.map((c) => [c.prev, c.version])).toEqual([[0, 1], [1, 2], [2, 3]]);
    expect(production[1]!.flags.f).toMatchObject({ enabled: false, version: 2 });
    expect(production[2]!.removed).toEqual({ flags: ["f"], segments: [] });
    expect(heard.changes.filter((c) => c.env === "staging")).toHaveLength(2);
  });

  it("hears each change with the audit entry of its commit; a change read back without one carries none", async () => {
    const heard = recorder();
    const { store, tenantId } = await setup(heard);
    const sealed: AuditHead[] = [];
    await store.createFlag(tenantId, { ...SYSTEM_ACTOR, onSealed: (head) => sealed.push(head) }, { key: "f", kind: "boolean" });
    expect(heard.changes.map((c) => c.audit)).toEqual([sealed[0], sealed[0]]);
    const change = { env: "production", version: 3, entity: "flag" as const, key: "f", payload: null };
    expect(toCommittedChange(tenantId, 1_000, change, null)).not.toHaveProperty("audit");
    expect(toCommittedChange(tenantId, 1_000, change)).not.toHaveProperty("audit");
  });

  it("hears revoked keys", async () => {
    const heard = recorder();
    const { store, tenantId } = await setup(heard);
    const { key } = await store.createKey(tenantId, SYSTEM_ACTOR, { name: "sdk", role: "sdk", env: "production" });
    await store.revokeKey(tenantId, SYSTEM_ACTOR, key.id, {});
    expect(heard.revoked).toEqual([key.id]);
  });

  it("never fails a committed write by throwing", async () => {
    const errors: unknown[] = [];
    const throwing: Broadcaster = {
      publish: () => {
        throw new Error("socket layer down");
      },
      keyRevoked: () => {},
    };
    const t = await openTempStore({ broadcaster: throwing, onBackgroundError: (e) => errors.push(e) });
    opened.push(t);
    const { tenant } = await t.store.createTenant({ name: "x" });
    await expect(t.store.createFlag(tenant.id, SYSTEM_ACTOR, { key: "f", kind: "boolean" })).resolves.toMatchObject({ key: "f" });
    expect(errors).toHaveLength(1);
    expect((await t.store.snapshot(tenant.id, "production")).flags.f).toBeDefined();
  });
});

describe("concurrent writers", () => {
  it("in one process take turns: no retries, nothing lost", async () => {
    const { t, tenantId } = await setup();
    let commits = 0;
    const counting: Executor = {
      commit: (statements) => {
        commits++;
        return t.database.executor.commit(statements);
      },
    };
    const store = createStore({ db: t.database.db, executor: counting, broadcaster: recorder() });
    await store.createFlag(tenantId, SYSTEM_ACTOR, { key: "f", kind: "boolean" });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.blockFlag(tenantId, SYSTEM_ACTOR, "production", "f", { reason: `r${i}`, when: [{ attribute: "employer", op: "in", values: [`e${i}`] }] }),
      ),
    );
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    expect((await store.getFlagConfig(tenantId, "production", "f")).rules).toHaveLength(20);
    expect(commits).toBe(21);
    expect(await store.verifyAudit(tenantId)).toEqual({ ok: true, entries: 23, breaks: [] });
  });

  it("in two processes on one file: the second commit of a version fails as a whole and is planned again", async () => {
    const { t, store, tenantId } = await setup();
    await store.createFlag(tenantId, SYSTEM_ACTOR, { key: "f", kind: "boolean" });
    const other = await openDatabase(`file:${t.file}`);
    try {
      // Hold the other process's first commit until ours has landed: a read-then-write race, on purpose.
      let first = true;
      let release!: () => void;
      const ours = new Promise<void>((resolve) => (release = resolve));
      const attempts: number[] = [];
      const racing: Executor = {
        async commit(statements: readonly Statement[]) {
          attempts.push(statements.length);
          if (first) {
            first = false;
            await ours;
          }
          await other.executor.commit(statements);
        },
      };
      const otherStore = createStore({ db: other.db, executor: racing, broadcaster: recorder() });
      const theirs = otherStore.blockFlag(tenantId, SYSTEM_ACTOR, "production", "f", { reason: "theirs", when: [{ attribute: "employer", op: "exists" }] });
      await new Promise((resolve) => setTimeout(resolve, 20));
      const mine = await store.killFlag(tenantId, SYSTEM_ACTOR, "production", "f", { reason: "mine" });
      release();
      const theirResult = await theirs;
      expect(attempts.length).toBe(2);
      expect(mine.version).toBe(2);
      expect(theirResult.version).toBe(3);
      const config = await store.getFlagConfig(tenantId, "production", "f");
      expect(config).toMatchObject({ enabled: false, version: 3 });
      expect(config.rules).toHaveLength(1);
      expect(await store.verifyAudit(tenantId)).toEqual({ ok: true, entries: 5, breaks: [] });
    } finally {
      other.close();
    }
  });

  it("in two processes with the same If-Match: the loser's retry answers 409", async () => {
    const { t, store, tenantId } = await setup();
    await store.createFlag(tenantId, SYSTEM_ACTOR, { key: "f", kind: "boolean" });
    const other = await openDatabase(`file:${t.file}`);
    try {
      let release!: () => void;
      const ours = new Promise<void>((resolve) => (release = resolve));
      let first = true;
      const racing: Executor = {
        async commit(statements) {
          if (first) {
            first = false;
            await ours;
          }
          await other.executor.commit(statements);
        },
      };
      const otherStore = createStore({ db: other.db, executor: racing, broadcaster: recorder() });
      const theirs = otherStore.restoreFlag(tenantId, SYSTEM_ACTOR, "production", "f", { reason: "theirs" }, { ifMatch: 1 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      await store.killFlag(tenantId, SYSTEM_ACTOR, "production", "f", { reason: "mine" }, { ifMatch: 1 });
      release();
      await expect(theirs).rejects.toMatchObject({ kind: "staleVersion", status: 409 });
      expect(await store.getFlagConfig(tenantId, "production", "f")).toMatchObject({ enabled: false, version: 2 });
    } finally {
      other.close();
    }
  });

  it("answer 503 busy, not 500, when the database stays busy", async () => {
    const t = await openTempStore({ maxAttempts: 3 });
    opened.push(t);
    const busy: Executor = {
      async commit() {
        throw Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
      },
    };
    const store = createStore({ db: t.database.db, executor: busy, broadcaster: recorder(), maxAttempts: 3, timer: fakeTimer().timer });
    await expect(store.createTenant({ name: "x" })).rejects.toMatchObject({ kind: "busy", status: 503 });
  });
});

/** A clock that moves only when the store sleeps. */
function fakeTimer() {
  const state = { now: 0, sleeps: [] as number[] };
  const timer = {
    now: () => state.now,
    sleep: async (ms: number) => {
      state.sleeps.push(ms);
      state.now += ms;
    },
  };
  return { state, timer };
}

/** An executor that meets another process's lock until `free` turns true, then commits for real. */
function lockedUntil(t: TempStore, free: (attempt: number) => boolean): Executor & { attempts: number } {
  const executor = {
    attempts: 0,
    async commit(statements: readonly Statement[]) {
      executor.attempts++;
      if (!free(executor.attempts)) throw Object.assign(new Error("SQLITE_BUSY: database is locked"), { code: "SQLITE_BUSY" });
      await t.database.executor.commit(statements);
    },
  };
  return executor;
}

describe("a write that meets another process's lock", () => {
  async function lockedStore(free: (attempt: number) => boolean, writeBudgetMs = 5000) {
    const t = await openTempStore();
    opened.push(t);
    const tenantId = (await t.store.createTenant({ name: "acme" })).tenant.id;
    await t.store.createFlag(tenantId, SYSTEM_ACTOR, { key: "f", kind: "boolean" });
    const { state, timer } = fakeTimer();
    const executor = lockedUntil(t, free);
    const store = createStore({ db: t.database.db, executor, broadcaster: recorder(), timer, writeBudgetMs });
    return { t, tenantId, store, state, executor };
  }

  it("is planned again after growing pauses and lands once the lock is free, however many attempts that takes", async () => {
    const { tenantId, store, state, executor } = await lockedStore((attempt) => attempt > 15);
    expect(await store.killFlag(tenantId, SYSTEM_ACTOR, "production", "f", { reason: "r" })).toEqual({ version: 2 });
    expect(executor.attempts).toBe(16);
    expect(state.sleeps).toHaveLength(15);
    expect(Math.max(...state.sleeps)).toBeLessThanOrEqual(250);
    expect(state.sleeps[0]).toBeLessThanOrEqual(5);
    expect(state.now).toBeLessThan(5000);
  });

  it("answers 503 busy once the budget is spent, having waited no longer than it, and writes nothing", async () => {
    const { t, tenantId, store, state } = await lockedStore(() => false, 5000);
    const error = await store.killFlag(tenantId, SYSTEM_ACTOR, "production", "f", { reason: "r" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProblemError);
    expect(error).toMatchObject({ kind: "busy", status: 503 });
    expect(state.now).toBeLessThanOrEqual(5000);
    // It gives up only when the next pause (at most 250 ms, cut at random) would overrun the budget.
    expect(state.now).toBeGreaterThan(5000 - 250);
    expect(await t.store.getFlagConfig(tenantId, "production", "f")).toMatchObject({ enabled: true, version: 1 });
  });

  it("counts the budget from arrival: a write queued behind a waiting one does not wait a budget of its own", async () => {
    const { tenantId, store, state, executor } = await lockedStore(() => false, 5000);
    const first = store.killFlag(tenantId, SYSTEM_ACTOR, "production", "f", { reason: "first" }).catch((e: unknown) => e);
    const second = store.restoreFlag(tenantId, SYSTEM_ACTOR, "production", "f", { reason: "second" }).catch((e: unknown) => e);
    expect(await first).toMatchObject({ kind: "busy" });
    const attemptsOfFirst = executor.attempts;
    expect(await second).toMatchObject({ kind: "busy" });
    // Tried at least once, and only within what was left of its budget: both are answered by 5 s.
    expect(executor.attempts).toBeGreaterThan(attemptsOfFirst);
    expect(state.now).toBeLessThanOrEqual(5000);
  });
});
