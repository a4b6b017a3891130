/**
 * The Durable Object's executor: commits one planned mutation (drizzle
 * statements built on the object's `drizzle-orm/durable-sqlite` handle) as
 * one SQLite transaction.
 *
 * Not `db.transaction()`: in drizzle-orm 0.45 the durable-sqlite transaction
 * returns `{}` instead of the callback's result and does not await an async
 * callback (drizzle-team/drizzle-orm#4202, #4322). `transactionSync` is the
 * storage API's own transaction: every statement or none. A constraint
 * failure (another write took the same version or audit seq) rejects with
 * workerd's error, which the core recognises and retries.
 */
import type { Executor, Statement } from "../core/db/executor.js";

export function durableExecutor(storage: DurableObjectStorage): Executor {
  return {
    async commit(statements: readonly Statement[]): Promise<void> {
      storage.transactionSync(() => {
        for (const statement of statements) {
          // A promise means a statement built on an async (libsql) handle: it
          // would run after the transaction, outside it.
          if (isThenable(statement.run())) {
            throw new TypeError("durableExecutor got a statement of an asynchronous drizzle session.");
          }
        }
      });
    },
  };
}

function isThenable(value: unknown): boolean {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}
