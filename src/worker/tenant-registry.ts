/**
 * The tenants that exist, in a KV namespace (`TENANTS`, keyed by tenant id),
 * read by the Worker before it touches a tenant's Durable Object.
 *
 * Any name reaches an object, and an object asked for once has storage of
 * its own: without this, every well-formed key with a made-up tenant id
 * would leave one behind before its 401. A lookup here is read-only, so a
 * flood of such keys costs KV reads and nothing else.
 *
 * KV rather than a directory object: every request of every tenant reads it,
 * and KV serves hot keys from each location's cache, where one object would
 * be a single hot spot. KV is eventually consistent, but an id is written
 * once, when its tenant is created, and never changes: the location that
 * created it reads it at once, and another reads it from the central store,
 * since no one asked for that random id before.
 * https://developers.cloudflare.com/kv/concepts/how-kv-works/
 */

/** Ids seen to exist, kept by this isolate: a tenant is never deleted, so they stay true. */
const known = new Set<string>();
const MAX_KNOWN = 10_000;

/** Whether `tenantId` was created (`POST /v1/tenants`). */
export async function isKnownTenant(registry: KVNamespace, tenantId: string): Promise<boolean> {
  if (known.has(tenantId)) return true;
  if ((await registry.get(tenantId)) === null) return false;
  if (known.size >= MAX_KNOWN) known.clear();
  known.add(tenantId);
  return true;
}

/** Written before the tenant's object is created, so that the tenant is reachable once it answers. */
export async function registerTenant(registry: KVNamespace, tenantId: string, at: number): Promise<void> {
  await registry.put(tenantId, JSON.stringify({ createdAt: at }));
}

/** The creation failed: the id names no tenant. */
export async function forgetTenant(registry: KVNamespace, tenantId: string): Promise<void> {
  known.delete(tenantId);
  await registry.delete(tenantId);
}
