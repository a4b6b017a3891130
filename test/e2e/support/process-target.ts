/**
 * A `ServerProcess` as the contract helpers' target (apiFor, createTenant): the
 * base URL follows the current process across restarts.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { base64url, randomBytes } from "../../../src/core/crypto.js";
import type { ContractTarget } from "../../support/contract-target.js";
import { tempDir } from "../../support/temp-db.js";
import { startServerProcess, type ServerProcess } from "./server-process.js";

export interface ProcessTarget extends ContractTarget {
  /** The running process (replaced by `start`). */
  readonly process: ServerProcess;
  /** A temp directory that `close` removes, for the database and SDK caches. */
  readonly dir: string;
  readonly databaseUrl: string;
  /** Starts the server again on the same database file and port. */
  start(): Promise<void>;
}

export async function startProcessTarget(): Promise<ProcessTarget> {
  const dir = tempDir();
  const databaseUrl = `file:${join(dir, "killswitch.db")}`;
  const rootToken = `root-${base64url(randomBytes(24))}`;
  let current = await startServerProcess({ databaseUrl, rootToken });
  const port = current.port;
  return {
    get baseUrl() {
      return current.url;
    },
    get process() {
      return current;
    },
    rootToken,
    dir,
    databaseUrl,
    async start() {
      current = await startServerProcess({ databaseUrl, rootToken, port });
    },
    async close() {
      await current.signal("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
