import type { Env } from "./env.js";
import { forwardedRequest } from "./forwarding.js";
import { newTenantId } from "../core/keys/token.js";
import { forgetTenant, isKnownTenant, registerTenant } from "./tenant-registry.js";

/** A fresh id collides with one in 3.6·10¹⁵ ids; the object refuses, and the Worker tries another. */
const ATTEMPTS = 3;
/** Status an object answers when it already holds a tenant (see tenant-object.ts). */
export const TENANT_EXISTS_STATUS = 409;

/**
 * `POST /v1/tenants` with the root token: the Worker generates the tenant id,
 * because the id names the object that will hold the tenant, registers it
 * (tenant-registry.ts), and forwards the request to that new object, which
 * runs the shared app's route.
 */
export async function createTenant(request: Request, body: ArrayBuffer | null, env: Env): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const tenantId = newTenantId();
    const taken = await isKnownTenant(env.TENANTS, tenantId);
    if (!taken) await registerTenant(env.TENANTS, tenantId, Date.now());
    const response = taken
      ? new Response(null, { status: TENANT_EXISTS_STATUS })
      : await env.TENANT.getByName(tenantId).fetch(forwardedRequest(request, tenantId, body, { create: true }));
    // Refused (an invalid body) or failed: the id names no tenant. An object that already held one
    // (created before the registry) keeps its entry.
    if (!taken && response.status !== 201 && response.status !== TENANT_EXISTS_STATUS) {
      await forgetTenant(env.TENANTS, tenantId);
    }
    if (response.status !== TENANT_EXISTS_STATUS || attempt === ATTEMPTS) return response;
  }
}
