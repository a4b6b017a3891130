/**
 * Upgrading a database written before attributes were declared: the migration
 * declares every attribute that its rules and segments already name, so nothing
 * that worked is refused afterwards, and the built-ins need no row.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import { afterEach, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../../src/core/actor.js";
import { silentBroadcaster } from "../../src/core/broadcaster.js";
import { createStore } from "../../src/core/store/index.js";
import { openDatabase } from "../../src/node/database.js";
import { tempDir } from "../support/temp-db.js";
import { migrationsBefore } from "../support/migrations-before.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

it("declares, untyped, every attribute that rules, segments and rollouts named before", async () => {
  const dir = tempDir();
  dirs.push(dir);
  const url = `file:${join(dir, "k.db")}`;
  const old = createClient({ url });
  await migrate(drizzle(old), { migrationsFolder: migrationsBefore("0002_attributes", dir) });
  const rules = JSON.stringify([
    { id: "r1", when: [{ attribute: "plan", op: "in", values: ["free"] }, { attribute: "nationality", op: "notIn", values: ["US"] }], serve: { variant: "off" } },
    { id: "r2", when: [{ segment: ["beta"] }], serve: { rollout: { bucketBy: "org.id", weights: { on: 100000 } } } },
  ]);
  await old.batch([
    "INSERT INTO tenants VALUES ('oldtenant0', 'old', 0)",
    "INSERT INTO environments VALUES ('oldtenant0', 'production', 3, 0)",
    `INSERT INTO flags VALUES ('oldtenant0', 'f', 'boolean', '{"on":true,"off":false}', NULL, '[]', 0, 0)`,
    {
      sql: "INSERT INTO flag_configs VALUES ('oldtenant0', 'production', 'f', 1, 'off', ?, ?, 'open', NULL, 3, 0)",
      args: [rules, JSON.stringify({ rollout: { bucketBy: "account", weights: { on: 100000 } } })],
    },
    {
      sql: "INSERT INTO segments VALUES ('oldtenant0', 'production', 'beta', NULL, '[]', '[]', ?, 2, 0)",
      args: [JSON.stringify([{ when: [{ attribute: "tier", op: "exists" }, { attribute: "key", op: "startsWith", values: ["u-"] }] }])],
    },
  ]);
  old.close();

  const database = await openDatabase(url);
  try {
    const store = createStore({ db: database.db, executor: database.executor, broadcaster: silentBroadcaster });
    const page = await store.listAttributes("oldtenant0", { limit: 100 });
    expect(page.items.filter((a) => !a.builtIn)).toEqual(
      ["account", "org.id", "plan", "tier"].map((name) => ({ name, list: false, description: expect.stringMatching(/rules used it/), builtIn: false })),
    );
    expect(page.items.filter((a) => a.builtIn).map((a) => a.name)).toEqual(["currentTime", "employer", "key", "nationality", "region"]);
    // The old rules are still accepted as they stand, and what they use cannot be deleted.
    const { version: _version, ...config } = await store.getFlagConfig("oldtenant0", "production", "f");
    expect(await store.putFlagConfig("oldtenant0", SYSTEM_ACTOR, "production", "f", { ...config, enabled: false, reason: "upgrade" })).toMatchObject({ enabled: false });
    await expect(store.deleteAttribute("oldtenant0", SYSTEM_ACTOR, "tier", {})).rejects.toMatchObject({ kind: "conflict" });
  } finally {
    database.close();
  }
});
