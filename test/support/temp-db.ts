/**
 * A migrated libsql database in a fresh temp file, and a store over it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import { silentBroadcaster, type Broadcaster } from "../../src/core/broadcaster.js";
import { schema, type Schema } from "../../src/core/db/schema.js";
import { createStore, type Store, type StoreOptions } from "../../src/core/store/index.js";
import { openDatabase, type Database } from "../../src/node/database.js";

export interface TempStore {
  database: Database;
  store: Store;
  /**
   * drizzle over the connection writes go through, for changes behind the
   * store's back (`database.db` reads only: its connection is read-only).
   */
  writeDb: LibSQLDatabase<Schema>;
  file: string;
  dir: string;
  close(): void;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "killswitch-test-"));
}

export async function openTempStore(
  options: { broadcaster?: Broadcaster; dir?: string } & Partial<Pick<StoreOptions, "clock" | "maxAttempts" | "onBackgroundError">> = {},
): Promise<TempStore> {
  const dir = options.dir ?? tempDir();
  const file = join(dir, "killswitch.db");
  const database = await openDatabase(`file:${file}`);
  const store = createStore({
    db: database.db,
    executor: database.executor,
    broadcaster: options.broadcaster ?? silentBroadcaster,
    clock: options.clock,
    maxAttempts: options.maxAttempts,
    onBackgroundError: options.onBackgroundError,
  });
  return {
    database,
    store,
    writeDb: drizzle(database.client, { schema }),
    file,
    dir,
    close() {
      database.close();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
