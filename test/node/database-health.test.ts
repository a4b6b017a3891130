/**
 * DatabaseHealth on a real file: one log line per change of state (not one per
 * failed write), a busy lock is no fault, and a deleted file stays refused even
 * if a write lands meanwhile (on another connection, or an unlinked inode).
 */
import { rmSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/node/database.js";
import { holdWriteLock } from "../support/lock-holder.js";
import { tempDir } from "../support/temp-db.js";

let dir: string;
let database: Database | undefined;
afterEach(() => {
  database?.close();
  database = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

async function open(): Promise<{ database: Database; lines: string[]; file: string }> {
  dir = tempDir();
  const file = join(dir, "k.db");
  const lines: string[] = [];
  database = await openDatabase(`file:${file}`, { log: (line) => lines.push(line) });
  return { database, lines, file };
}

describe("DatabaseHealth", () => {
  it("logs one line when writes start failing and one when they land again, whatever happens between", async () => {
    const { database, lines } = await open();
    const { health } = database;
    health.noteWrite(withCode("database or disk is full", "SQLITE_FULL"));
    health.noteWrite(withCode("database or disk is full", "SQLITE_FULL"));
    health.noteWrite(withCode("database is locked", "SQLITE_BUSY"));
    health.noteWrite(new Error("UNIQUE constraint failed: audit_log.tenant_id, audit_log.seq"));
    expect(health.state).toMatchObject({ ok: false, fault: "full" });
    health.noteWrite(withCode("attempt to write a readonly database", "SQLITE_READONLY"));
    health.noteWrite();
    health.noteWrite();
    expect(health.state).toEqual({ ok: true });
    expect(lines).toEqual([
      expect.stringMatching(/^killswitch: the database cannot take writes \(full: database or disk is full\); writes answer 503 until it can$/),
      expect.stringMatching(/^killswitch: the database cannot take writes \(readonly: /),
      "killswitch: the database takes writes again",
    ]);
  });

  it("is ready on a healthy file, and says why not once the file is gone, for good", async () => {
    const { database, lines, file } = await open();
    expect(await database.health.readiness()).toBeNull();
    unlinkSync(file);
    expect(await database.health.checkFile()).toBe(false);
    database.health.noteWrite();
    expect(await database.health.readiness()).toMatch(/deleted or replaced/);
    await expect(database.health.assertWritable()).rejects.toMatchObject({ kind: "unavailable", status: 503 });
    expect(lines).toEqual([expect.stringMatching(/cannot take writes \(gone: .*k\.db is gone\); writes answer 503 until the file is restored and the service restarted$/)]);
  });

  it("counts another process's lock as a database that takes writes", async () => {
    const { database } = await open();
    const holder = await holdWriteLock(join(dir, "k.db"));
    try {
      expect(await database.health.readiness()).toBeNull();
    } finally {
      await holder.release();
    }
  });
});
