/** The claim step of the background loops, on real libsql files. */
import { asc, eq, sql } from "drizzle-orm";
import { afterEach, expect, it } from "vitest";
import { silentBroadcaster } from "../../../src/core/broadcaster.js";
import { receiptWatches, webhookDeliveries } from "../../../src/core/db/schema.js";
import { claimDue, type DueRows } from "../../../src/core/store/claim-due.js";
import { storeContext, type StoreContext } from "../../../src/core/store/context.js";
import { openDatabase, type Database } from "../../../src/node/database.js";
import { openTempStore, type TempStore } from "../../support/temp-db.js";

let t: TempStore | undefined;
const opened: Database[] = [];
afterEach(() => {
  for (const database of opened.splice(0)) database.close();
  t?.close();
  t = undefined;
});

const contextOf = (database: Database): StoreContext =>
  storeContext({ db: database.db, executor: database.executor, broadcaster: silentBroadcaster });

/** Watches due by their check time, as the receipt watcher claims them. */
const dueWatches = (now: number): DueRows<typeof receiptWatches> => ({
  table: receiptWatches,
  due: (w) => sql`${w.checkAt} <= ${now}`,
  order: (w) => w.checkAt,
});

async function addWatches(checkAts: readonly number[]): Promise<void> {
  await t!.writeDb.insert(receiptWatches).values(checkAts.map((checkAt, version) => ({ tenantId: "tenant0001", env: "production", version, committedAt: 0, checkAt })));
}

/** The check times of the watches a token holds, earliest first. */
async function held(ctx: StoreContext, token: string): Promise<number[]> {
  const rows = await ctx.db
    .select({ checkAt: receiptWatches.checkAt })
    .from(receiptWatches)
    .where(eq(receiptWatches.claimToken, token))
    .orderBy(asc(receiptWatches.checkAt));
  return rows.map((row) => row.checkAt);
}

it("claims only due rows, the earliest first and at most `limit`, each with the token and the lease's end", async () => {
  t = await openTempStore();
  const ctx = contextOf(t.database);
  await addWatches([50, 10, 30, 200, 20, 100]);

  const first = await claimDue(ctx, dueWatches(100), 100, 3, 1_000);
  expect(await held(ctx, first)).toEqual([10, 20, 30]);
  const rest = await claimDue(ctx, dueWatches(100), 100, 10, 1_000);
  expect(await held(ctx, rest)).toEqual([50, 100]);
  expect(rest).not.toBe(first);

  const rows = await ctx.db.select().from(receiptWatches).orderBy(asc(receiptWatches.checkAt));
  expect(rows.map((row) => [row.checkAt, row.claimToken, row.claimedUntil])).toEqual([
    [10, first, 1_100],
    [20, first, 1_100],
    [30, first, 1_100],
    [50, rest, 1_100],
    [100, rest, 1_100],
    [200, null, null],
  ]);
});

it("claims a row again once its lease lapsed, and not a moment before", async () => {
  t = await openTempStore();
  const ctx = contextOf(t.database);
  await addWatches([10, 20]);

  const first = await claimDue(ctx, dueWatches(100), 100, 10, 1_000);
  expect(await held(ctx, first)).toEqual([10, 20]);
  expect(await held(ctx, await claimDue(ctx, dueWatches(1_099), 1_099, 10, 1_000))).toEqual([]);

  const again = await claimDue(ctx, dueWatches(1_100), 1_100, 10, 1_000);
  expect(await held(ctx, again)).toEqual([10, 20]);
  // The lapsed claim holds nothing any more: its holder's writes (by token) change nothing.
  expect(await held(ctx, first)).toEqual([]);
  const row = await ctx.db.select({ claimedUntil: receiptWatches.claimedUntil }).from(receiptWatches).limit(1);
  expect(row[0]?.claimedUntil).toBe(2_100);
});

it("takes at most `max` rows of one group, the first of each, and the earliest overall within `limit`", async () => {
  t = await openTempStore();
  const ctx = contextOf(t.database);
  const delivery = (tenantId: string, webhookId: string, nextAt: number) => ({
    tenantId,
    id: `${tenantId}-${webhookId}-${nextAt}`,
    webhookId,
    eventId: `evt-${nextAt}`,
    status: "pending" as const,
    attemptCount: 0,
    attempts: [],
    nextAt,
    createdAt: 0,
  });
  await t.writeDb
    .insert(webhookDeliveries)
    .values([delivery("tenant0001", "a", 1), delivery("tenant0001", "a", 2), delivery("tenant0001", "a", 3), delivery("tenant0001", "b", 4), delivery("tenant0001", "b", 5), delivery("tenant0002", "a", 0)]);
  const pending = (max: number): DueRows<typeof webhookDeliveries> => ({
    table: webhookDeliveries,
    due: (d) => sql`${d.status} = 'pending' and ${d.nextAt} <= ${100}`,
    order: (d) => d.nextAt,
    perGroup: { by: (d) => [d.tenantId, d.webhookId], max },
  });
  const claimed = async (token: string) =>
    (await ctx.db.select({ id: webhookDeliveries.id }).from(webhookDeliveries).where(eq(webhookDeliveries.claimToken, token)).orderBy(asc(webhookDeliveries.nextAt))).map(
      (row) => row.id,
    );

  // Groups are a tenant's endpoint: tenant0002's "a" is not tenant0001's.
  expect(await claimed(await claimDue(ctx, pending(2), 100, 3, 1_000))).toEqual(["tenant0002-a-0", "tenant0001-a-1", "tenant0001-a-2"]);
  expect(await claimed(await claimDue(ctx, pending(1), 100, 10, 1_000))).toEqual(["tenant0001-a-3", "tenant0001-b-4"]);
  expect(await claimed(await claimDue(ctx, pending(1), 100, 10, 1_000))).toEqual(["tenant0001-b-5"]);
});

it("gives two claimers racing on one file disjoint rows, every due row to one of them", async () => {
  t = await openTempStore();
  const versions = Array.from({ length: 120 }, (_, i) => i);
  await addWatches(versions.map((i) => i % 17));
  const second = await openDatabase(`file:${t.file}`);
  opened.push(second);

  const claimer = async (ctx: StoreContext): Promise<number[]> => {
    const mine: number[] = [];
    for (;;) {
      let token: string;
      try {
        token = await claimDue(ctx, dueWatches(100), 100, 5, 60_000);
      } catch (error) {
        // The other process held the write lock: as a background loop does, try again.
        if (String(error).includes("SQLITE_BUSY")) continue;
        throw error;
      }
      const rows = await ctx.db.select({ version: receiptWatches.version }).from(receiptWatches).where(eq(receiptWatches.claimToken, token));
      if (rows.length === 0) return mine;
      mine.push(...rows.map((row) => row.version));
    }
  };
  const [a, b] = await Promise.all([claimer(contextOf(t.database)), claimer(contextOf(second))]);

  expect(a.length).toBeGreaterThan(0);
  expect(b.length).toBeGreaterThan(0);
  expect(a.filter((version) => b.includes(version))).toEqual([]);
  expect([...a, ...b].sort((x, y) => x - y)).toEqual(versions);
});
