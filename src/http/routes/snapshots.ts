/**
 * The HTTP snapshot, for clients that cannot hold a socket: an environment's whole
 * state with an ETag, 304 when unchanged. An sdk key reads its own environment only.
 */
import type { Context } from "hono";
import { forbidden } from "../../core/problem.js";
import { roleAtLeast } from "../../core/keys/roles.js";
import type { App, AppDeps, AppEnv } from "../app-env.js";
import { noQuery, pathKey } from "../request.js";

/** Strong: the representation of one (environment, version) never changes. */
export const snapshotEtag = (env: string, version: number): string => `"${version}-${env}"`;

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.split(",").some((tag) => {
    const trimmed = tag.trim();
    return trimmed === "*" || trimmed.replace(/^W\//, "") === etag;
  });
}

function sdkOrViewer(c: Context<AppEnv>, env: string): string {
  const principal = c.get("principal");
  if (principal.kind === "root") throw forbidden("The root token may only create tenants (POST /v1/tenants).");
  const { key } = principal;
  if (key.role === "sdk" ? key.env !== env : !roleAtLeast(key.role, "viewer")) {
    throw forbidden(`This sdk key reads environment "${key.env}" only.`);
  }
  return key.tenantId;
}

export function snapshotRoutes(app: App, { store }: AppDeps): void {
  const answer = async (c: Context<AppEnv>, tenantId: string, env: string): Promise<Response> => {
    // The audit entry goes to stream frames only: the HTTP snapshot keeps its documented shape.
    const { audit: _audit, ...snapshot } = await store.snapshot(tenantId, env);
    noQuery(c);
    const etag = snapshotEtag(env, snapshot.version);
    const headers = { etag, "cache-control": "no-cache" };
    if (matches(c.req.header("if-none-match"), etag)) return c.body(null, 304, headers);
    return c.json(snapshot, 200, headers);
  };

  app.get("/v1/envs/:env/snapshot", async (c) => {
    const env = pathKey(c, "env", "environment");
    return answer(c, sdkOrViewer(c, env), env);
  });

  app.get("/v1/snapshot", async (c) => {
    const principal = c.get("principal");
    if (principal.kind !== "key" || principal.key.role !== "sdk" || principal.key.env === null) {
      throw forbidden("GET /v1/snapshot serves an sdk key's own environment; other keys use /v1/envs/{env}/snapshot.");
    }
    return answer(c, principal.key.tenantId, principal.key.env);
  });
}
