/**
 * The server the contract suite talks to. Host specifics live here and nowhere
 * else in test/contract: this boots the real Node host in-process on 127.0.0.1:0
 * with a fresh libsql file and its WebSocket stream. The Worker under `wrangler dev`
 * (worker-target.ts) gives the same interface, including direct SQL and restart.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { base64url, randomBytes } from "../../src/core/crypto.js";
import { startServer, type RunningServer } from "../../src/node/server.js";
import { nodeStreamHost } from "../../src/node/stream/index.js";
import { tempDir } from "./temp-db.js";

export interface ContractTarget {
  /** The base URL, e.g. `http://127.0.0.1:40123`; may change across a restart. */
  readonly baseUrl: string;
  readonly rootToken: string;
  /** Runs SQL directly on the database file, behind the service's back (tamper tests). */
  sql?(statement: string, args?: (string | number | null)[]): Promise<void>;
  /** Stops the server and starts it again on the same database; `whileDown` runs between. */
  restart?(whileDown?: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/** The first webhook retry's delay on the contract targets (the default is 5 s). */
export const WEBHOOK_RETRY_BASE_MS = 300;

export async function startContractTarget(): Promise<ContractTarget> {
  // The Worker host under `wrangler dev` (test/support/worker-target.ts); see vitest.config.ts.
  if (process.env.KILLSWITCH_CONTRACT_TARGET === "worker") return (await import("./worker-target.js")).startWorkerTarget();
  const dir = tempDir();
  const databaseUrl = `file:${join(dir, "killswitch.db")}`;
  const rootToken = `root-${base64url(randomBytes(24))}`;
  const start = (): Promise<RunningServer> =>
    startServer({
      databaseUrl,
      host: "127.0.0.1",
      port: 0,
      rootToken,
      stream: nodeStreamHost({ onError: () => {} }),
      onError: () => {},
      // Webhook receivers in the tests listen on 127.0.0.1, and retries should not take minutes.
      webhooks: { allowPrivate: true, retry: { baseMs: WEBHOOK_RETRY_BASE_MS } },
    });
  let server = await start();
  return {
    get baseUrl() {
      return server.url;
    },
    rootToken,
    async sql(statement, args = []) {
      const client = createClient({ url: databaseUrl, timeout: 5000 });
      try {
        await client.execute({ sql: statement, args });
      } finally {
        client.close();
      }
    },
    async restart(whileDown) {
      await server.close();
      await whileDown?.();
      server = await start();
    },
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
