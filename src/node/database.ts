/**
 * The Node host's database: a libsql client (an embedded file by default, or a
 * libsql server), drizzle over the one schema, migrations applied on open.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { Client } from "@libsql/client";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import type { Executor } from "../core/db/executor.js";
import { schema, type Schema } from "../core/db/schema.js";
import { openClient } from "./libsql-client.js";
import { libsqlExecutor } from "./libsql-executor.js";

const MIGRATIONS = fileURLToPath(new URL("../../migrations", import.meta.url));

/** How long a connection waits for another writer's lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

/** Runs of the migrator before its error stands (see {@link applyMigrations}). */
const MIGRATE_ATTEMPTS = 3;

export interface Database {
  /** The libsql URL it was opened with. */
  url: string;
  client: Client;
  db: LibSQLDatabase<Schema>;
  executor: Executor;
  close(): void;
}

/** The file path of a `file:` URL, or null for other URLs and in-memory databases. */
export function filePathOf(url: string): string | null {
  if (!url.startsWith("file:")) return null;
  let path = url.slice("file:".length).split("?")[0] ?? "";
  if (path.startsWith("//")) path = path.slice(path.indexOf("/", 2));
  return path === "" || path === ":memory:" ? null : path;
}

/** A database other processes can open too: a file, or a libsql server; not an in-memory one. */
export function isSharedDatabase(url: string): boolean {
  if (url.startsWith("file:")) return filePathOf(url) !== null;
  return url !== ":memory:";
}

export async function openDatabase(url: string): Promise<Database> {
  const file = filePathOf(url);
  if (file !== null) mkdirSync(dirname(file), { recursive: true });
  const client = openClient(url, BUSY_TIMEOUT_MS);
  try {
    if (file !== null) {
      // WAL lets readers run beside the writer and several processes share the file.
      await client.execute("PRAGMA journal_mode = WAL");
      await client.execute(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
    const db = drizzle(client, { schema });
    await applyMigrations(db);
    return { url, client, db, executor: libsqlExecutor(db), close: () => client.close() };
  } catch (error) {
    client.close();
    throw error;
  }
}

/**
 * drizzle's migrator reads which migrations are recorded, then applies the rest
 * in one transaction. Processes opening a new database at the same moment all
 * read "none", and all but the first fail on `CREATE TABLE` of a table that now
 * exists; their transaction rolls back whole. Run again, the migrator reads the
 * migrations the winner recorded and has nothing left to do. An error that is no
 * race fails the same way every time and is thrown.
 */
async function applyMigrations(db: LibSQLDatabase<Schema>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await migrate(db, { migrationsFolder: MIGRATIONS });
      return;
    } catch (error) {
      if (attempt >= MIGRATE_ATTEMPTS) throw error;
    }
  }
}
