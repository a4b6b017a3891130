/**
 * libsql's local driver leaves a statement that failed with SQLITE_BUSY in
 * progress, and every later COMMIT on that connection fails. The healed client
 * (src/node/libsql-client.ts) drops its connections after a busy error, so the
 * next write works. Two connections of one file stand for two processes.
 */
import { createClient, type Client } from "@libsql/client";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openClient } from "../../src/node/libsql-client.js";
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
  ])("leaves the healed client writable after %s met the lock", async (_name, failing) => {
    const { url, release } = await lockedFile();
    const healed = openClient(url, 0);
    clients.push(healed);
    expect(await busyThenWrite(healed, failing, release)).toEqual({ busy: "SQLITE_BUSY", after: "written" });
    expect((await healed.execute("SELECT count(*) FROM t")).rows[0]![0]).toBe(2);
  });
});
