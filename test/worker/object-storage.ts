/**
 * Reads the Durable Objects' SQLite files that `wrangler dev --persist-to`
 * leaves on disk, to see what an object stored. The layout is miniflare's
 * (pinned with wrangler 4.86.0): `v3/do/<script>-<class>/<hash>.sqlite`, each
 * with a `__miniflare_do_name` table holding the name the object was reached by.
 * KV namespaces are objects of miniflare's own, `v3/kv/miniflare-KVNamespaceObject/<hash>.sqlite`,
 * with one `_mf_entries` row per key.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { createClient } from "@libsql/client";

const OBJECT_DIR = join("v3", "do", "killswitch-TenantObject");
const KV_DIR = join("v3", "kv", "miniflare-KVNamespaceObject");
/** miniflare's own bookkeeping; not something the object stored. */
export const MINIFLARE_NAME_TABLE = "__miniflare_do_name";

export interface ObjectDatabase {
  file: string;
  name: string | null;
  /** Every table and index in the file, sorted. */
  schemaObjects: string[];
}

/** Every object database under a persist directory (the class-wide metadata.sqlite excluded). */
export async function objectDatabases(persistDir: string): Promise<ObjectDatabase[]> {
  const dir = join(persistDir, OBJECT_DIR);
  const files = (await readdir(dir).catch(() => [] as string[])).filter(
    (f) => f.endsWith(".sqlite") && f !== "metadata.sqlite",
  );
  return Promise.all(files.map((f) => inspect(join(dir, f))));
}

/** The database of the object reached by `name`, if it has one. */
export async function objectDatabase(persistDir: string, name: string): Promise<ObjectDatabase | undefined> {
  return (await objectDatabases(persistDir)).find((db) => db.name === name);
}

/** Every key of the local KV namespaces (the Worker has one: the tenant registry), sorted. */
export async function kvKeys(persistDir: string): Promise<string[]> {
  const dir = join(persistDir, KV_DIR);
  const files = (await readdir(dir).catch(() => [] as string[])).filter(
    (f) => f.endsWith(".sqlite") && f !== "metadata.sqlite",
  );
  const keys = await Promise.all(files.map(async (f) => (await rowsOf(join(dir, f), "_mf_entries")).map((row) => String(row.key))));
  return keys.flat().sort();
}

/** Rows of one table of an object's database. */
export async function rowsOf(file: string, table: string): Promise<Record<string, unknown>[]> {
  const client = createClient({ url: `file:${file}` });
  try {
    const result = await client.execute(`SELECT * FROM "${table.replace(/"/g, '""')}"`);
    return result.rows.map((row) => ({ ...row }));
  } finally {
    client.close();
  }
}

async function inspect(file: string): Promise<ObjectDatabase> {
  const client = createClient({ url: `file:${file}` });
  try {
    const objects = await client.execute("SELECT name FROM sqlite_master ORDER BY name");
    const schemaObjects = objects.rows.map((row) => String(row.name));
    let name: string | null = null;
    if (schemaObjects.includes(MINIFLARE_NAME_TABLE)) {
      const rows = await client.execute(`SELECT name FROM ${MINIFLARE_NAME_TABLE}`);
      name = rows.rows[0] ? String(rows.rows[0].name) : null;
    }
    return { file, name, schemaObjects };
  } finally {
    client.close();
  }
}
