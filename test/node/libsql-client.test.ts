/**
 * libsql's local driver leaves a statement that failed with SQLITE_BUSY in
 * progress, and every later COMMIT on that connection fails. The writer
 * (src/node/libsql-client.ts) starts on a fresh connection after a failure, so
 * the next write works; the reader never takes the write lock and never waits.
 * Two connections of one file stand for two processes.
 */
import { createClient, type Client } from "@libsql/client";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openReader, openWriter } from "../../src/node/libsql-client.js";
import { tempDir } from "../support/temp-db.js";

const clients: Client[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

/** A file with a table, and another connection holding its write lock until `release`. */
async function lockedFile(): Promise<{ url: string; release: () => Promise<void> }> {
  const url = `file:${join(tempDir(), "k.db")}`;
  const holder = createClient({ url });
  clients.push(holder);
  await holder.execute("PRAGMA journal_mode = WAL");
  await holder.execute("CREATE TABLE t (x INTEGER)");
  const tx = await holder.transaction("write");
  await tx.execute("INSERT INTO t VALUES (1)");
  return {
    url,
    release: async () => {
      await tx.commit();
      tx.close();
    },
  };
}

async function busyThenWrite(client: Client, failing: (c: Client) => Promise<unknown>, release: () => Promise<void>) {
  const busy = await failing(client).then(
    () => null,
    (error: { code?: string }) => error.code,
  );
  await release();
  const after = await client.batch(["INSERT INTO t VALUES (3)"], "write").then(
    () => "written",
    (error: Error) => error.message,
  );
  return { busy, after };
}

describe("a busy error on a libsql connection", () => {
  it("poisons a plain client: every later commit fails (the driver's behaviour this works around)", async () => {
    const { url, release } = await lockedFile();
    const plain = createClient({ url, timeout: 0 });
    clients.push(plain);
    const result = await busyThenWrite(plain, (c) => c.execute("INSERT INTO t VALUES (2)"), release);
    expect(result).toEqual({ busy: "SQLITE_BUSY", after: expect.stringContaining("SQL statements in progress") });
  });

  it.each([
    ["a single statement", (c: Client) => c.execute("INSERT INTO t VALUES (2)")],
    ["a batch", (c: Client) => c.batch(["INSERT INTO t VALUES (2)"], "write")],
  ])("leaves the writer writable after %s met the lock", async (_name, failing) => {
    const { url, release } = await lockedFile();
    const healed = openWriter(url);
    clients.push(healed);
    expect(await busyThenWrite(healed, failing, release)).toEqual({ busy: "SQLITE_BUSY", after: "written" });
    expect((await healed.execute("SELECT count(*) FROM t")).rows[0]![0]).toBe(2);
  });
});

describe("the writer", () => {
  it("takes the lock first: a batch meets a held lock at once, before any statement runs", async () => {
    const { url, release } = await lockedFile();
    const writer = openWriter(url);
    clients.push(writer);
    await expect(writer.batch(["SELECT 1"])).rejects.toMatchObject({ code: "SQLITE_BUSY" });
    await release();
    expect(await writer.batch(["SELECT 1"]).then(() => "written")).toBe("written");
  });

  it("runs calls one at a time, so the reconnect after a failure cuts no other call short", async () => {
    const { url, release } = await lockedFile();
    const writer = openWriter(url);
    clients.push(writer);
    const calls = [
      writer.execute("INSERT INTO t VALUES (2)"),
      writer.execute("SELECT count(*) FROM t"),
      writer.batch(["INSERT INTO t VALUES (3)"]),
      writer.execute("SELECT count(*) FROM t"),
    ];
    const outcomes = await Promise.all(calls.map((c) => c.then(() => "ok", (e: { code?: string }) => e.code)));
    expect(outcomes).toEqual(["SQLITE_BUSY", "ok", "SQLITE_BUSY", "ok"]);
    await release();
  });
});

describe("the reader", () => {
  it("refuses to write", async () => {
    const { url, release } = await lockedFile();
    await release();
    const reader = await openReader(url);
    clients.push(reader);
    await expect(reader.execute("INSERT INTO t VALUES (2)")).rejects.toMatchObject({ code: "SQLITE_READONLY" });
  });

  it("reads the last commit while another connection holds the write lock with changes in progress", async () => {
    const { url, release } = await lockedFile();
    const reader = await openReader(url);
    clients.push(reader);
    expect((await reader.execute("SELECT count(*) FROM t")).rows[0]![0]).toBe(0);
    await release();
    expect((await reader.execute("SELECT count(*) FROM t")).rows[0]![0]).toBe(1);
  });
});
