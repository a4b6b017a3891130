/**
 * The seam between the core's one write path and a host's database driver.
 *
 * A mutation is planned with awaited drizzle reads, then committed as one list of
 * statements, all or nothing. libsql's `transaction()` loses its pragmas and meets
 * SQLITE_BUSY, and drizzle's durable-sqlite `transaction()` neither awaits nor
 * returns its callback's result, so neither is used: hosts commit the list with
 * what their driver does atomically.
 *
 * - Node (libsql): `db.batch(statements)`.
 * - Durable Object: `ctx.storage.transactionSync(() => statements.forEach((s) => s.run()))`.
 */
import type { BatchItem } from "drizzle-orm/batch";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import type { Schema } from "./schema.js";

/**
 * A drizzle handle over the one schema, asynchronous (libsql) or synchronous
 * (durable-sqlite). The core only builds queries with it and awaits reads.
 */
// The run-result type differs per driver and the core never reads it: `any` keeps both assignable.
export type StoreDb = BaseSQLiteDatabase<"sync" | "async", any, Schema>;

/** One write of a planned mutation: an insert, update or delete built on the store's db. */
export type Statement = BatchItem<"sqlite"> & { run(): unknown };

export interface Executor {
  /**
   * Runs every statement in one atomic transaction, or none. Rejects with the
   * driver's error when a constraint fails (a concurrent writer took the same
   * version or audit seq) or the database is busy; the core retries those.
   */
  commit(statements: readonly Statement[]): Promise<void>;
}
