import type { TenantObject } from "./tenant-object.js";

/** Bindings of the Worker and of its Durable Objects (see wrangler.toml). */
export interface Env {
  /** One SQLite-backed object per tenant, addressed by tenant id. */
  TENANT: DurableObjectNamespace<TenantObject>;
  /** The ids of the tenants that exist (tenant-registry.ts). */
  TENANTS: KVNamespace;
  /** The console's static files (src/http/console/assets/, wrangler.toml `[assets]`). */
  ASSETS: Fetcher;
  /** Secret that may only create tenants. Unset: no tenant can be created. */
  KILLSWITCH_ROOT_TOKEN?: string;
  /** Open streams one sdk key may hold in its tenant's object; default 20,000 (src/core/stream/limits.ts). */
  KILLSWITCH_MAX_STREAMS_PER_KEY?: string;
  /** `debug` adds a log line per committed change and per SDK connect and disconnect (json-log.ts). */
  LOG_LEVEL?: string;
  /** `1`: webhooks may call loopback and private addresses (tests, local development). */
  KILLSWITCH_WEBHOOK_ALLOW_PRIVATE?: string;
  /** The first webhook retry's delay in ms (default 5,000). */
  KILLSWITCH_WEBHOOK_RETRY_BASE_MS?: string;
}
