/**
 * The Worker: routes each request to its tenant's Durable Object and does
 * nothing else. What no tenant can answer (keyless routes, refusals before a
 * key names a tenant) is answered by the shared edge (src/http/edge.ts), which
 * reads the tenant id from the key; the object checks the secret. A key naming
 * a tenant the registry does not hold (tenant-registry.ts) never reaches an
 * object.
 */
import { withSdkCors } from "../http/cors.js";
import { routeAtEdge } from "../http/edge.js";
import { readBodyPrefix } from "./bounded-body.js";
import { routeConsole } from "./console-edge.js";
import { createTenant } from "./create-tenant.js";
import { observeEdge } from "./edge-log.js";
import type { Env } from "./env.js";
import { forwardedRequest } from "./forwarding.js";
import { isKnownTenant } from "./tenant-registry.js";

export { TenantObject } from "./tenant-object.js";

export default {
  // A preflight carries no key, so the CORS answers come first (src/http/cors.ts).
  // Outermost: every request gets its id and, unless its tenant's object logs it, its log line here.
  fetch: observeEdge(withSdkCors(route)),
} satisfies ExportedHandler<Env>;

async function route(request: Request, env: Env): Promise<Response> {
  const routed = await routeAtEdge(request, {
    rootToken: env.KILLSWITCH_ROOT_TOKEN,
    readBody: (keep) => readBodyPrefix(request, keep),
    knownTenant: (tenantId) => isKnownTenant(env.TENANTS, tenantId),
  });
  switch (routed.kind) {
    case "answer":
      return routed.response;
    case "createTenant":
      return createTenant(request, routed.body, env);
    case "forward":
      return env.TENANT.getByName(routed.tenantId).fetch(forwardedRequest(request, routed.tenantId, routed.body));
    case "console":
      return routeConsole(request, env, routed.body);
  }
}
