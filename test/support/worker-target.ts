/**
 * The contract suite's Worker target: the Worker host under `wrangler dev`
 * (workerd, local, offline) with a state directory of its own, one per test
 * file. Selected by `KILLSWITCH_CONTRACT_TARGET=worker` (see contract-target.ts
 * and the "contract-worker" project in vitest.config.ts).
 *
 * Both optional capabilities exist here, at the price of a restart each:
 * - `restart` stops wrangler and starts it again over the same `--persist-to`
 *   directory (the port changes; `baseUrl` follows).
 * - `sql` stops wrangler, runs the statement on every tenant object's SQLite
 *   file that `--persist-to` leaves on disk, and starts wrangler again. On Node
 *   one database holds every tenant; here each object holds one, so a statement
 *   that filters by `tenant_id` (as the suite's do) changes the same rows.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { base64url, randomBytes } from "../../src/core/crypto.js";
import { WEBHOOK_RETRY_BASE_MS, type ContractTarget } from "./contract-target.js";
import { startWranglerDev, type WranglerDev } from "./wrangler-dev.js";
import { objectDatabases } from "../worker/object-storage.js";

/** A table every migrated tenant object has; an object without it never became a tenant. */
const TENANT_TABLE = "tenants";

export async function startWorkerTarget(): Promise<ContractTarget> {
  const persistDir = await mkdtemp(join(tmpdir(), "killswitch-contract-worker-"));
  const rootToken = `root-${base64url(randomBytes(24))}`;
  const start = () =>
    startWranglerDev({
      persistDir,
      vars: {
        KILLSWITCH_ROOT_TOKEN: rootToken,
        KILLSWITCH_WEBHOOK_ALLOW_PRIVATE: "1",
        KILLSWITCH_WEBHOOK_RETRY_BASE_MS: String(WEBHOOK_RETRY_BASE_MS),
      },
    });
  let dev: WranglerDev;
  try {
    dev = await start();
  } catch (error) {
    await rm(persistDir, { recursive: true, force: true });
    throw error;
  }

  /** Runs `work` while wrangler is stopped, then starts it again over the same state. */
  const whileStopped = async (work: () => Promise<void> = async () => {}) => {
    await dev.stop();
    try {
      await work();
    } finally {
      dev = await start();
    }
  };

  return {
    get baseUrl() {
      return dev.url;
    },
    rootToken,
    sql: (statement, args = []) =>
      whileStopped(async () => {
        const tenants = (await objectDatabases(persistDir)).filter((db) => db.schemaObjects.includes(TENANT_TABLE));
        for (const { file } of tenants) {
          const client = createClient({ url: `file:${file}` });
          try {
            await client.execute({ sql: statement, args });
          } finally {
            client.close();
          }
        }
      }),
    restart: (whileDown) => whileStopped(whileDown),
    async close() {
      await dev.stop();
      await rm(persistDir, { recursive: true, force: true });
    },
  };
}
