/**
 * The HTTP snapshot, for clients that cannot hold a socket: an environment's whole
 * state with an ETag, 304 when unchanged. An sdk key reads its own environment only.
 * The body is signed as the stream's frames are (`sig` first; docs/signing.md), so a
 * relay, a CDN or a cache cannot change who is blocked.
 */
import type { Context } from "hono";
import { forbidden } from "../../core/problem.js";
import { roleAtLeast } from "../../core/keys/roles.js";
import { FrameSigner } from "../../core/signing/frame-signer.js";
import type { App, AppDeps, AppEnv } from "../app-env.js";
import { noQuery, pathKey } from "../request.js";

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.split(",").some((tag) => {
    const trimmed = tag.trim();
    return trimmed === "*" || trimmed.replace(/^W\//, "") === etag;
  });
}

/** A viewer (or stronger) key of the tenant, or the environment's own sdk key: the tenant it names. */
export function sdkOrViewer(c: Context<AppEnv>, env: string): string {
  const principal = c.get("principal");
  if (principal.kind === "root") throw forbidden("The root token may only create tenants (POST /v1/tenants).");
  const { key } = principal;
  if (key.role === "sdk" ? key.env !== env : !roleAtLeast(key.role, "viewer")) {
    throw forbidden(`This sdk key reads environment "${key.env}" only.`);
  }
  return key.tenantId;
}

export function snapshotRoutes(app: App, { store, onError }: AppDeps): void {
  const signer = new FrameSigner(store, { onError });
  const answer = async (c: Context<AppEnv>, tenantId: string, env: string): Promise<Response> => {
    // The audit entry goes to stream frames only: the HTTP snapshot keeps its documented shape.
    const snapshot = await store.snapshot(tenantId, env);
    noQuery(c);
    // Strong: it names the version, the epoch and the signing keys, so the same ETag is the same bytes.
    const etag = await signer.snapshotEtag(tenantId, env, snapshot);
    const headers = { etag, "cache-control": "no-cache" };
    if (matches(c.req.header("if-none-match"), etag)) return c.body(null, 304, headers);
    return c.body(await signer.httpSnapshot(tenantId, env, snapshot), 200, { ...headers, "content-type": "application/json" });
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
