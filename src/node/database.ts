/**
 * The Node host's database: libsql (an embedded file by default, or a libsql
 * server), drizzle over the one schema, migrations applied on open.
 *
 * A file gets two connections that never wait for a lock while the service runs
 * (libsql-client.ts): a read-only one for every read and one for the commits, and
 * its health is watched (database-health.ts). Another database (in memory, or a
 * server) has one client for both.
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient, type Client } from "@libsql/client";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import { retryBusy } from "../core/db/retry-busy.js";
import type { Executor } from "../core/db/executor.js";
import { schema, type Schema } from "../core/db/schema.js";
import { DatabaseHealth } from "./database-health.js";
import { openReader, openWriter } from "./libsql-client.js";
import { libsqlExecutor } from "./libsql-executor.js";

const MIGRATIONS = fileURLToPath(new URL("../../migrations", import.meta.url));

/**
 * How long opening the database waits for another process's lock (switching to
 * WAL, migrating): before the service listens, so no request waits with it.
 */
const OPEN_BUSY_TIMEOUT_MS = 5000;

/** Runs of the migrator before its error stands (see {@link applyMigrations}). */
const MIGRATE_ATTEMPTS = 3;

export interface Database {
  /** The libsql URL it was opened with. */
  url: string;
  /**
   * The connection writes go through (also for tools and tests): one call at a
   * time, never waiting for a lock, reopened after a failure.
   */
  client: Client;
  /** What the store reads through: read-only, never waits for a writer. The same client as `client` unless a file. */
  reader: Client;
  /** drizzle over `reader`: the store's reads, and the statements it commits through `executor`. */
  db: LibSQLDatabase<Schema>;
  /** Commits through `client`, unless `health` says the file is gone. */
  executor: Executor;
  health: DatabaseHealth;
  close(): void;
}

export interface OpenDatabaseOptions {
  /** Receives one line per change of the database's health. Default `console.warn`. */
  log?: (line: string) => void;
}

/** The file path of a `file:` URL, or null for other URLs and in-memory databases. */
export function filePathOf(url: string): string | null {
  if (!url.startsWith("file:")) return null;
  let path = url.slice("file:".length).split("?")[0] ?? "";
  if (path.startsWith("//")) path = path.slice(path.indexOf("/", 2));
  return path === "" || path === ":memory:" ? null : path;
}

/** A database other processes can open too: a file, or a libsql server; not an in-memory one. */
/**
 * The database URL as the log may show it: without a query string or user
 * information, where a libsql server's auth token may travel.
 */
export function describeDatabaseUrl(url: string): string {
  if (url.startsWith("file:") || !url.includes("://")) return url.split("?")[0]!;
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    parsed.search = "";
    return parsed.toString();
  } catch {
    return url.split("?")[0]!.replace(/\/\/[^@/]*@/, "//");
  }
}

export function isSharedDatabase(url: string): boolean {
  if (url.startsWith("file:")) return filePathOf(url) !== null;
  return url !== ":memory:";
}

export async function openDatabase(url: string, options: OpenDatabaseOptions = {}): Promise<Database> {
  const file = filePathOf(url);
  const opened: Client[] = [];
  try {
    let writer: Client;
    let reader: Client;
    if (file === null) {
      writer = reader = createClient({ url });
      opened.push(writer);
      await applyMigrations(drizzle(writer, { schema }));
    } else {
      mkdirSync(dirname(file), { recursive: true });
      // Processes opening a new file at the same moment meet each other's locks in
      // ways SQLite answers with SQLITE_BUSY at once, without waiting (a read that must
      // become a write after another's commit, the switch to WAL, the reader's first
      // statement): the open is tried again, within the same budget.
      await retryBusy(async () => {
        const opener = openWriter(url, OPEN_BUSY_TIMEOUT_MS);
        try {
          // WAL lets readers run beside the writer and several processes share the file.
          await opener.execute("PRAGMA journal_mode = WAL");
          await applyMigrations(drizzle(opener, { schema }));
        } finally {
          opener.close();
        }
      }, OPEN_BUSY_TIMEOUT_MS);
      opened.push((writer = openWriter(url)));
      opened.push((reader = await retryBusy(() => openReader(url), OPEN_BUSY_TIMEOUT_MS)));
    }
    const health = new DatabaseHealth({
      file: file === null ? null : resolve(file),
      reader,
      writer,
      log: options.log ?? ((line) => console.warn(line)),
    });
    await health.start();
    const db = drizzle(reader, { schema });
    return {
      url,
      client: writer,
      reader,
      db,
      executor: libsqlExecutor(drizzle(writer, { schema }), health),
      health,
      close: () => {
        health.close();
        for (const client of new Set(opened)) client.close();
      },
    };
  } catch (error) {
    for (const client of new Set(opened)) client.close();
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
