/**
 * Several processes starting at the same moment on a new database file (a
 * cluster's first start): each runs the migrator, which reads "no migration
 * applied" and applies them all. Every one must come up, with the migrations
 * applied once.
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import journal from "../../migrations/meta/_journal.json" with { type: "json" };
import { openDatabase, type Database } from "../../src/node/database.js";
import { tempDir } from "../support/temp-db.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DATABASE_MODULE = fileURLToPath(new URL("../../src/node/database.ts", import.meta.url));

/** A child that loads the module, says "ready", and opens the database when told "go". */
const CHILD = `
const { openDatabase } = await import(process.argv[1]);
console.log("ready");
process.stdin.once("data", async () => {
  try {
    const database = await openDatabase(process.argv[2]);
    database.close();
    console.log("opened");
  } catch (error) {
    console.log("failed: " + error.message);
  }
  process.stdin.destroy();
});
`;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function freshUrl(): string {
  const dir = tempDir();
  dirs.push(dir);
  return `file:${join(dir, "k.db")}`;
}

async function expectMigratedOnce(url: string): Promise<void> {
  const database = await openDatabase(url);
  try {
    const applied = await database.client.execute("SELECT count(*) FROM __drizzle_migrations");
    expect(applied.rows[0]![0]).toBe(journal.entries.length);
    const tables = await database.client.execute("SELECT name FROM sqlite_master WHERE type = 'table'");
    expect(tables.rows.map((r) => r[0])).toEqual(expect.arrayContaining(["api_keys", "change_log", "stream_nodes", "stream_receipts"]));
  } finally {
    database.close();
  }
}

/** Spawns a child, resolves once it is ready; `result` settles with its last line. */
function child(url: string): Promise<{ go: () => void; result: Promise<string> }> {
  return new Promise((ready, fail) => {
    const proc = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", CHILD, DATABASE_MODULE, url], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "inherit"],
    });
    let out = "";
    let resolveResult: (line: string) => void;
    const result = new Promise<string>((r) => (resolveResult = r));
    proc.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      if (out.startsWith("ready\n")) ready({ go: () => proc.stdin.write("go\n"), result });
    });
    proc.on("error", fail);
    proc.on("exit", (code) => {
      const lines = out.trim().split("\n");
      resolveResult(lines.length > 1 ? lines[lines.length - 1]! : `exited ${code} before opening`);
      fail(new Error(`child exited (${code}) before it was ready: ${out}`));
    });
  });
}

describe("opening a new database file from several places at once", () => {
  it("brings up two clients of one process, and applies the migrations once", async () => {
    const url = freshUrl();
    // Interleaved at every await: both read "no migration applied" before either commits.
    const opened = await Promise.allSettled([openDatabase(url), openDatabase(url)]);
    for (const o of opened) if (o.status === "fulfilled") (o.value as Database).close();
    expect(opened.map((o) => (o.status === "fulfilled" ? "opened" : String(o.reason)))).toEqual(["opened", "opened"]);
    await expectMigratedOnce(url);
  });

  it("brings up four processes told to open it at the same moment", async () => {
    const url = freshUrl();
    const children = await Promise.all(Array.from({ length: 4 }, () => child(url)));
    for (const c of children) c.go();
    expect(await Promise.all(children.map((c) => c.result))).toEqual(Array(4).fill("opened"));
    await expectMigratedOnce(url);
  }, 60_000);
});
