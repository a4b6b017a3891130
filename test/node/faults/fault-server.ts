/**
 * The real Node host in this process (startServer with its stream and cluster),
 * on a libsql file in a directory the test chooses, with what it logs kept for
 * assertions, and a tenant set up through the API.
 */
import { join } from "node:path";
import { base64url, randomBytes } from "../../../src/core/crypto.js";
import { startServer, type RunningServer } from "../../../src/node/server.js";
import { nodeStreamHost } from "../../../src/node/stream/index.js";
import { apiFor, okBody, type Api, type ApiResponse } from "../../support/api.js";

export const FLAG = "model.fable-5";
export const ENV = "production";

export interface FaultServer {
  server: RunningServer;
  file: string;
  api: Api;
  /** Lines the database's health logged. */
  lines: string[];
  /** Everything reported through onError. */
  errors: unknown[];
  /** A tenant with the flag, an admin key and an sdk key that has never been used. */
  keys: { admin: string; sdk: string; sdkId: string };
  /** A kill or restore of the flag, as the API answers it. */
  // The answer's body is checked field by field, as the contract suite's are.
  flip(enabled: boolean): Promise<ApiResponse>;
}

export async function startFaultServer(dir: string, options: { writeBudgetMs?: number } = {}): Promise<FaultServer> {
  const file = join(dir, "killswitch.db");
  const rootToken = `root-${base64url(randomBytes(24))}`;
  const lines: string[] = [];
  const errors: unknown[] = [];
  const server = await startServer({
    databaseUrl: `file:${file}`,
    host: "127.0.0.1",
    port: 0,
    rootToken,
    writeBudgetMs: options.writeBudgetMs,
    stream: nodeStreamHost({ onError: (e) => errors.push(e) }),
    onError: (e) => errors.push(e),
    log: (line) => lines.push(line),
  });
  const api = apiFor({ baseUrl: server.url, rootToken, close: async () => {} });
  const admin: string = (await okBody(api, rootToken, "POST", "/v1/tenants", { name: "acme" })).adminKey;
  await okBody(api, admin, "POST", "/v1/flags", { key: FLAG, kind: "boolean" });
  const sdk = await okBody(api, admin, "POST", "/v1/keys", { name: "never used", role: "sdk", env: ENV });
  return {
    server,
    file,
    api,
    lines,
    errors,
    keys: { admin, sdk: sdk.secret, sdkId: sdk.key.id },
    flip: (enabled) => api("POST", `/v1/envs/${ENV}/flags/${FLAG}/${enabled ? "restore" : "kill"}`, { key: admin, json: { reason: "test" } }),
  };
}
