/**
 * The Worker: routes each request to its tenant's Durable Object and does
 * nothing else. It reads the tenant id from the key (it never checks the
 * secret: the object does), so a request whose key cannot name a tenant, or
 * names one the registry does not hold (tenant-registry.ts), is answered here
 * and never reaches an object. Answers match the shared app's
 * on Node: on /v1, 413 first, then 401, then 403 for the root token outside
 * `POST /v1/tenants`; on OFREP, the protocol's own error shape, and the
 * context limit left to the object's OFREP route.
 */
import { withSdkCors } from "../http/cors.js";
import { MAX_BODY_BYTES } from "../http/create-app.js";
import { openApiDocument } from "../http/openapi.js";
import { errorToResponse } from "../http/problem-response.js";
import { noQuerySchema, parseQuery, queryRecord } from "../http/request.js";
import { MAX_CONTEXT_BYTES } from "../core/schemas/evaluate.js";
import { readBodyPrefix } from "./bounded-body.js";
import { isConsolePath, routeConsole } from "./console-edge.js";
import { createTenant } from "./create-tenant.js";
import { credentialOf, tenantIdOfKey } from "./credential.js";
import type { Env } from "./env.js";
import { forwardedRequest } from "./forwarding.js";
import { OFREP_NO_KEY, OFREP_ROOT_TOKEN, OFREP_UNKNOWN_KEY, ofrepRefusal, ofrepRoute, type OfrepRoute } from "./ofrep-edge.js";
import { problem } from "./problem.js";
import { bearerOf, isRootToken } from "./root-token.js";
import { isKnownTenant } from "./tenant-registry.js";

export { TenantObject } from "./tenant-object.js";

export default {
  // The SDK-facing routes answer browsers on other origins, as the shared app does on Node (src/http/cors.ts):
  // a preflight carries no key, so it is answered here, before the key is read.
  fetch: withSdkCors(route),
} satisfies ExportedHandler<Env>;

async function route(request: Request, env: Env): Promise<Response> {
  const url = new URL(request.url);
  // The routes without a key, answered as the shared app answers them, without waking an object.
  if (request.method === "GET" && (url.pathname === "/healthz" || url.pathname === "/readyz" || url.pathname === "/openapi.json")) {
    // Each tenant's storage lives in its own Durable Object: what can be ready or not here is the router.
    return queryRefusal(url.search) ?? Response.json(url.pathname === "/openapi.json" ? openApiDocument() : { ok: true });
  }

  const ofrep = ofrepRoute(request.method, url.pathname);
  if (ofrep !== null) return forwardOfrep(request, ofrep, env);

  const withBody = request.method !== "GET" && request.method !== "HEAD";
  const body = withBody ? await readBodyPrefix(request, MAX_BODY_BYTES + 1) : null;
  if (body !== null && body.byteLength > MAX_BODY_BYTES) {
    return problem("payloadTooLarge", `The body is over ${MAX_BODY_BYTES / 1024} KiB.`);
  }
  // The operator console: its pages live in the tenant's object named by the session cookie.
  if (isConsolePath(url.pathname)) return routeConsole(request, env, body);
  // Outside /v1 (and the OFREP routes) nothing needs a key: the shared app would answer 404.
  if (!url.pathname.startsWith("/v1/")) return problem("notFound", `No route ${request.method} ${url.pathname}.`);

  if (await isRootToken(bearerOf(request), env.KILLSWITCH_ROOT_TOKEN)) {
    if (request.method === "POST" && url.pathname === "/v1/tenants") return createTenant(request, body, env);
    return problem("forbidden", "The root token may only create tenants (POST /v1/tenants).");
  }
  // The shared app's wording (src/http/auth.ts).
  const token = credentialOf(request);
  if (token === null) return problem("unauthorized", "Send Authorization: Bearer <key>.");
  const tenantId = tenantIdOfKey(token);
  if (tenantId === null || !(await isKnownTenant(env.TENANTS, tenantId))) {
    return problem("unauthorized", "The key is malformed, unknown or revoked.");
  }
  return env.TENANT.getByName(tenantId).fetch(forwardedRequest(request, tenantId, body, { token }));
}

/** The shared app's 400 for query parameters on a route that takes none, or null. */
function queryRefusal(search: string): Response | null {
  try {
    parseQuery(queryRecord(search), noQuerySchema);
    return null;
  } catch (error) {
    return errorToResponse(error, () => {});
  }
}

/**
 * OFREP bounds its own bodies (the context limit, answered as INVALID_CONTEXT
 * after the key and flag checks), so the object gets the body's first
 * `limit + 1` bytes: enough to see that it is over.
 */
async function forwardOfrep(request: Request, route: OfrepRoute, env: Env): Promise<Response> {
  const body = await readBodyPrefix(request, MAX_CONTEXT_BYTES + 1);
  const token = credentialOf(request);
  if (token === null) return ofrepRefusal(route, 401, OFREP_NO_KEY);
  if (await isRootToken(token, env.KILLSWITCH_ROOT_TOKEN)) return ofrepRefusal(route, 403, OFREP_ROOT_TOKEN);
  const tenantId = tenantIdOfKey(token);
  if (tenantId === null || !(await isKnownTenant(env.TENANTS, tenantId))) return ofrepRefusal(route, 401, OFREP_UNKNOWN_KEY);
  return env.TENANT.getByName(tenantId).fetch(forwardedRequest(request, tenantId, body, { token }));
}
