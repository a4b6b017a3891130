import type { BatchItem } from "drizzle-orm/batch";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import type { Executor, Statement } from "../core/db/executor.js";
import type { Schema } from "../core/db/schema.js";

/**
 * Commits a planned mutation with libsql's `batch`: one implicit transaction, one
 * call, on a connection that keeps its busy timeout (unlike `transaction()`).
 */
export function libsqlExecutor(db: LibSQLDatabase<Schema>): Executor {
  return {
    async commit(statements: readonly Statement[]): Promise<void> {
      const [first, ...rest] = statements;
      if (first === undefined) return;
      await db.batch([first, ...rest] as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
    },
  };
}
