import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import journal from "../../migrations/meta/_journal.json" with { type: "json" };
import { filePathOf, isSharedDatabase, openDatabase } from "../../src/node/database.js";
import { tempDir } from "../support/temp-db.js";

describe("isSharedDatabase", () => {
  it.each([
    ["file:data/killswitch.db", true],
    ["file::memory:", false],
    [":memory:", false],
    ["libsql://example.turso.io", true],
    ["http://127.0.0.1:8080", true],
  ])("%s → %s", (url, shared) => {
    expect(isSharedDatabase(url)).toBe(shared);
  });
});

describe("filePathOf", () => {
  it.each([
    ["file:data/killswitch.db", "data/killswitch.db"],
    ["file:/var/lib/k.db", "/var/lib/k.db"],
    ["file:///var/lib/k.db", "/var/lib/k.db"],
    ["file:k.db?mode=rwc", "k.db"],
    ["file::memory:", null],
    ["libsql://example.turso.io", null],
  ])("%s → %s", (url, path) => {
    expect(filePathOf(url)).toBe(path);
  });
});

describe("openDatabase", () => {
  it("creates the directory, uses WAL, and applies the migrations", async () => {
    const dir = tempDir();
    const file = join(dir, "nested", "deeper", "k.db");
    const database = await openDatabase(`file:${file}`);
    try {
      expect(existsSync(file)).toBe(true);
      const mode = await database.client.execute("PRAGMA journal_mode");
      expect(mode.rows[0]![0]).toBe("wal");
      const tables = await database.client.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
      expect(tables.rows.map((r) => r[0])).toEqual(
        expect.arrayContaining(["api_keys", "audit_log", "change_log", "environments", "flag_configs", "flags", "segments", "tenants"]),
      );
    } finally {
      database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads through a connection that cannot write, and commits through the other", async () => {
    const dir = tempDir();
    const database = await openDatabase(`file:${join(dir, "k.db")}`);
    try {
      expect(database.reader).not.toBe(database.client);
      await expect(database.reader.execute("CREATE TABLE t (x)")).rejects.toMatchObject({ code: "SQLITE_READONLY" });
      await database.client.execute("CREATE TABLE t (x)");
      expect((await database.reader.execute("SELECT count(*) FROM t")).rows[0]![0]).toBe(0);
    } finally {
      database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("uses one client for an in-memory database (a second connection would be another database)", async () => {
    const database = await openDatabase(":memory:");
    try {
      expect(database.reader).toBe(database.client);
      expect((await database.reader.execute("SELECT count(*) FROM tenants")).rows[0]![0]).toBe(0);
    } finally {
      database.close();
    }
  });

  it("migrates an already migrated database without change", async () => {
    const dir = tempDir();
    const url = `file:${join(dir, "k.db")}`;
    (await openDatabase(url)).close();
    const again = await openDatabase(url);
    const applied = await again.client.execute("SELECT count(*) FROM __drizzle_migrations");
    expect(applied.rows[0]![0]).toBe(journal.entries.length);
    again.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
