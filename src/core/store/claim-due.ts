/**
 * The claim step of the background loops (the scheduler, the webhook
 * dispatcher, the receipt watcher): one statement marks up to `limit` due rows
 * of a table with a fresh claim token and a lease (`claim_token`,
 * `claimed_until`), so that with several processes on one database each row is
 * worked on by one of them until its lease lapses, when any may take it over.
 * The caller then reads what it claimed back by the token (each reads other
 * columns, some joined).
 */
import { sql, type SQL } from "drizzle-orm";
import { alias, type BuildAliasTable, type SQLiteColumn } from "drizzle-orm/sqlite-core";
import { randomAlphanumeric } from "../crypto.js";
import { receiptWatches, scheduledChanges, webhookDeliveries } from "../db/schema.js";
import type { StoreContext } from "./context.js";

/** The tables whose rows are claimed: each has `claim_token` and `claimed_until`. */
export type ClaimableTable = typeof receiptWatches | typeof scheduledChanges | typeof webhookDeliveries;

/** The claimed table under the alias `d`, which conditions name its columns by. */
export type ClaimRow<T extends ClaimableTable> = BuildAliasTable<T, "d">;

export interface DueRows<T extends ClaimableTable> {
  table: T;
  /**
   * Which rows are due, over `row` (the table aliased `d`). The lease is the
   * helper's: a row must also be unclaimed, or its lease lapsed by `now`.
   */
  due: (row: ClaimRow<T>) => SQL;
  /** Which due rows are claimed first: the smallest values of this column. */
  order: (row: ClaimRow<T>) => SQLiteColumn;
  /**
   * At most `max` rows of one group (rows with the same values of `by`) in one
   * claim, the first of each group by `order`: a webhook endpoint's share.
   */
  perGroup?: { by: (row: ClaimRow<T>) => SQLiteColumn[]; max: number };
}

/**
 * Claims up to `limit` rows due at `now`, first by `order`, until
 * `now + leaseMs`, in one commit; answers the claim token they now carry (a
 * fresh one each call, so a row claimed before and since taken over is not read
 * as this claim's).
 */
export async function claimDue<T extends ClaimableTable>(ctx: StoreContext, rows: DueRows<T>, now: number, limit: number, leaseMs: number): Promise<string> {
  const token = randomAlphanumeric(20);
  const d = alias(rows.table, "d");
  const free = sql`(${d.claimedUntil} is null or ${d.claimedUntil} <= ${now})`;
  const order = rows.order(d);
  const chosen =
    rows.perGroup === undefined
      ? sql`select ${d}.rowid from ${rows.table} ${d} where (${rows.due(d)}) and ${free} order by ${order} limit ${limit}`
      : sql`select r from (select ${d}.rowid as r, ${order} as n,
          row_number() over (partition by ${sql.join(rows.perGroup.by(d), sql`, `)} order by ${order}) as k
          from ${rows.table} ${d} where (${rows.due(d)}) and ${free}) where k <= ${rows.perGroup.max} order by n limit ${limit}`;
  // One table of the union at a time as far as the builder's types go; every one has both columns.
  const table: ClaimableTable = rows.table;
  await ctx.executor.commit([ctx.db.update(table).set({ claimToken: token, claimedUntil: now + leaseMs }).where(sql`rowid in (${chosen})`)]);
  return token;
}
