/**
 * The Durable Object bundles its migrations through static imports in
 * src/worker/migrations.ts. A migration missing there makes every object answer
 * 503; the Node host's own tables (the cluster's `stream_*`) must never reach an
 * object. Checked here without workerd, by reading the list and applying the
 * object's migrations to a real SQLite database.
 */
import { readFile } from "node:fs/promises";
import { createClient } from "@libsql/client";
import { expect, it } from "vitest";

const migrationsUrl = new URL("../../migrations/", import.meta.url);
const workerListUrl = new URL("../../src/worker/migrations.ts", import.meta.url);

interface JournalEntry {
  idx: number;
  tag: string;
}

async function journal(): Promise<JournalEntry[]> {
  return (JSON.parse(await readFile(new URL("meta/_journal.json", migrationsUrl), "utf8")) as { entries: JournalEntry[] }).entries;
}

async function workerList(): Promise<{ text: string; nodeOnly: string[] }> {
  const text = await readFile(workerListUrl, "utf8");
  const list = /NODE_ONLY_MIGRATIONS: readonly string\[\] = \[([^\]]*)\]/.exec(text);
  if (!list) throw new Error("src/worker/migrations.ts must declare NODE_ONLY_MIGRATIONS");
  return { text, nodeOnly: [...list[1]!.matchAll(/"([^"]+)"/g)].map((m) => m[1]!) };
}

const sqlOf = (tag: string) => readFile(new URL(`${tag}.sql`, migrationsUrl), "utf8");
const importOf = ({ idx, tag }: JournalEntry) => `import m${String(idx).padStart(4, "0")} from "../../migrations/${tag}.sql"`;

it("imports every migration of the journal into the Worker bundle, except the Node host's own", async () => {
  const entries = await journal();
  const { text, nodeOnly } = await workerList();
  expect(entries.length).toBeGreaterThan(0);
  expect(nodeOnly.every((tag) => entries.some((e) => e.tag === tag)), "NODE_ONLY_MIGRATIONS names migrations of the journal").toBe(true);
  for (const entry of entries) {
    if (nodeOnly.includes(entry.tag)) expect(text, `${entry.tag} is Node only`).not.toContain(importOf(entry));
    else expect(text, `src/worker/migrations.ts must import migrations/${entry.tag}.sql`).toContain(importOf(entry));
  }
});

it("names as Node only exactly the migrations of the cluster's stream_* tables", async () => {
  const { nodeOnly } = await workerList();
  for (const { tag } of await journal()) {
    const sql = await sqlOf(tag);
    const statements = sql.split("--> statement-breakpoint").map((s) => s.trim()).filter(Boolean);
    const cluster = statements.filter((s) => /`stream_[a-z_]+`/.test(s));
    if (nodeOnly.includes(tag)) expect(cluster, `${tag}: a Node-only migration touches only stream_* tables`).toEqual(statements);
    else expect(cluster, `${tag} touches stream_* tables: name it in NODE_ONLY_MIGRATIONS`).toEqual([]);
  }
});

it("gives a new object every table but the cluster's", async () => {
  const { nodeOnly } = await workerList();
  const db = createClient({ url: ":memory:" });
  try {
    // What drizzle's durable-sqlite migrator runs: each bundled migration's statements, in journal order.
    for (const { tag } of await journal()) {
      if (nodeOnly.includes(tag)) continue;
      for (const statement of (await sqlOf(tag)).split("--> statement-breakpoint")) if (statement.trim()) await db.execute(statement);
    }
    const tables = (await db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")).rows.map((r) => String(r[0]));
    expect(tables).toEqual(expect.arrayContaining(["tenants", "environments", "api_keys", "change_log", "audit_log", "receipts", "console_sessions"]));
    expect(tables.filter((t) => t.startsWith("stream_"))).toEqual([]);
  } finally {
    db.close();
  }
});
