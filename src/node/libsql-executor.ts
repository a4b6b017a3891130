import type { BatchItem } from "drizzle-orm/batch";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import type { Executor, Statement } from "../core/db/executor.js";
import type { Schema } from "../core/db/schema.js";
import type { DatabaseHealth } from "./database-health.js";

/**
 * Commits a planned mutation with libsql's `batch` on the writer connection: one
 * transaction that takes the write lock first and gives up at once when another
 * process holds it (the core retries). Refused with 503 while the database file
 * is known to be deleted or replaced; every outcome is told to `health`.
 */
export function libsqlExecutor(writer: LibSQLDatabase<Schema>, health: DatabaseHealth): Executor {
  return {
    async commit(statements: readonly Statement[]): Promise<void> {
      const [first, ...rest] = statements;
      if (first === undefined) return;
      await health.assertWritable();
      try {
        await writer.batch([first, ...rest] as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
      } catch (error) {
        health.noteWrite(error);
        throw error;
      }
      health.noteWrite();
    },
  };
}
