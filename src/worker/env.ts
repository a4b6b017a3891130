import type { TenantObject } from "./tenant-object.js";

/** Bindings of the Worker and of its Durable Objects (see wrangler.toml). */
export interface Env {
  /** One SQLite-backed object per tenant, addressed by tenant id. */
  TENANT: DurableObjectNamespace<TenantObject>;
  /** Secret that may only create tenants. Unset: no tenant can be created. */
  KILLSWITCH_ROOT_TOKEN?: string;
}
