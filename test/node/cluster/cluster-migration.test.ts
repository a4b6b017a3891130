/**
 * A database written before the cluster counted connections by `first_version`
 * (migrations up to 0008, with a node's rows as such a node wrote them) opens
 * with the current code: 0009 is applied, a server with the stream and the
 * cluster starts on it, and the old rows read as connected at every commit.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import { afterEach, expect, it } from "vitest";
import { readInstances, readReceiptParts } from "../../../src/node/cluster/cluster-tables.js";
import { startServer, type RunningServer } from "../../../src/node/server.js";
import { nodeStreamHost } from "../../../src/node/stream/node-stream-host.js";
import { tempDir } from "../../support/temp-db.js";
import { migrationsBefore } from "../../support/migrations-before.js";

const dirs: string[] = [];
const servers: RunningServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

it("upgrades a database of the migrations before 0009 and starts a clustered server on it", async () => {
  const dir = tempDir();
  dirs.push(dir);
  const url = `file:${join(dir, "k.db")}`;
  const old = createClient({ url });
  await migrate(drizzle(old), { migrationsFolder: migrationsBefore("0009_cluster_first_version", dir) });
  const now = Date.now();
  await old.batch([
    { sql: "INSERT INTO stream_nodes VALUES ('n_old', ?, ?, 10, 0)", args: [now, now] },
    { sql: "INSERT INTO stream_instances VALUES ('n_old', 'oldtenant0', 'production', 1, 'i-1', 'checkout', 'sdk/1', ?, 2, ?)", args: [now, now] },
    { sql: "INSERT INTO stream_instances VALUES ('n_old', 'oldtenant0', 'production', 2, 'i-2', 'checkout', 'sdk/1', ?, -1, 0)", args: [now] },
    "INSERT INTO stream_receipts VALUES ('oldtenant0', 'production', 3, 'n_old', 1000, 2, 2, X'')",
  ]);
  old.close();

  const server = await startServer({ databaseUrl: url, port: 0, rootToken: "root", stream: nodeStreamHost({ onError: () => {} }), onError: () => {} });
  servers.push(server);
  expect(server.cluster).not.toBeNull();
  const columns = async (table: string) => (await server.database.client.execute(`SELECT name FROM pragma_table_info('${table}')`)).rows.map((r) => String(r[0]));
  expect(await columns("stream_instances")).toContain("first_version");
  expect(await columns("stream_receipts")).not.toContain("seq_mark");

  // The old node's rows: its instances count as connected at every commit, so neither is left out.
  const others = { self: server.cluster!.nodeId, liveSince: now - 30_000 };
  expect((await readInstances(server.database.db, "oldtenant0", "production", undefined, others)).total).toBe(2);
  const [share] = await readReceiptParts(server.database.db, "oldtenant0", "production", 3, others);
  expect(share).toMatchObject({ connected: 2, pending: [{ instance: "i-1", appliedVersion: 2 }, { instance: "i-2", appliedVersion: null }] });
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
});
