/**
 * The real Node host in this process (startServer + nodeStreamHost, a libsql file
 * in a temp dir, 127.0.0.1), with the one thing a test cannot see from outside:
 * every upgrade request to the stream, as the server received it. Restarts keep
 * the database file and the port, so SDK clients reconnect to the same URL.
 */
import { rmSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import { base64url, randomBytes } from "../../../src/core/crypto.js";
import { startServer, type RunningServer } from "../../../src/node/server.js";
import { credentialOf } from "../../../src/http/credentials.js";
import { nodeStreamHost } from "../../../src/node/stream/index.js";
import type { StreamHostFactory } from "../../../src/node/stream-host.js";
import { tempDir } from "../../support/temp-db.js";

/** An upgrade request to `/v1/stream` as the server saw it. */
export interface UpgradeAttempt {
  /** `Date.now()` in the server when the request arrived. */
  at: number;
  /** The sdk key the request carried (header or subprotocol), or null. */
  key: string | null;
}

export interface InProcessServer {
  readonly baseUrl: string;
  readonly port: number;
  readonly rootToken: string;
  readonly databaseUrl: string;
  /** Every stream upgrade request since the first start, across restarts. */
  readonly upgrades: UpgradeAttempt[];
  /** Stops the server (its sockets close with 1001) and starts it again on the same port and database. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** Wraps the real stream host so that upgrade requests are recorded before it handles them. */
function observed(upgrades: UpgradeAttempt[]): StreamHostFactory {
  const real = nodeStreamHost({ onError: () => {} });
  return (deps) => {
    const host = real(deps);
    return {
      ...host,
      attach(server) {
        server.prependListener("upgrade", (req: IncomingMessage) => upgrades.push({ at: Date.now(), key: credentialOf((name) => req.headers[name] as string | undefined, "stream") }));
        host.attach?.(server);
      },
    };
  };
}

export async function startInProcessServer(): Promise<InProcessServer> {
  const dir = tempDir();
  const databaseUrl = `file:${join(dir, "killswitch.db")}`;
  const rootToken = `root-${base64url(randomBytes(24))}`;
  const upgrades: UpgradeAttempt[] = [];
  const start = (port: number): Promise<RunningServer> =>
    startServer({ databaseUrl, host: "127.0.0.1", port, rootToken, stream: observed(upgrades), onError: () => {} });
  let server = await start(0);
  const port = server.port;
  return {
    get baseUrl() {
      return server.url;
    },
    port,
    rootToken,
    databaseUrl,
    upgrades,
    async restart() {
      await server.close();
      server = await start(port);
    },
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
