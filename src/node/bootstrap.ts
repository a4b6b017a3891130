/**
 * The demo tenant an empty database gets when no root token is set, so that
 * `npm start` alone gives something to call: the two models of the directive case
 * and the segment it names.
 */
import { and, eq } from "drizzle-orm";
import { SYSTEM_ACTOR } from "../core/actor.js";
import type { StoreDb } from "../core/db/executor.js";
import { auditLog, tenants } from "../core/db/schema.js";
import type { Store } from "../core/store/index.js";

export interface DemoTenant {
  tenantId: string;
  adminKey: string;
  sdkKey: string;
}

const DEMO_NAME = "demo";

export const DEMO_FLAGS = ["model.fable-5", "model.mythos-5"] as const;
export const DEMO_SEGMENT = "foreign-nationals";

/** Creates the demo tenant on an empty database; null when there are tenants already. */
export async function bootstrapDemo(store: Store): Promise<DemoTenant | null> {
  if (await store.hasTenants()) return null;
  const { tenant, adminKey } = await store.createTenant({ name: DEMO_NAME }, SYSTEM_ACTOR);
  for (const key of DEMO_FLAGS) {
    await store.createFlag(tenant.id, SYSTEM_ACTOR, {
      key,
      kind: "boolean",
      description: `Availability of ${key.slice("model.".length)}`,
      tags: ["model"],
    });
  }
  await store.putSegment(tenant.id, SYSTEM_ACTOR, "production", DEMO_SEGMENT, {
    description: "No US citizenship, or unknown",
    include: [],
    exclude: [],
    rules: [{ when: [{ attribute: "nationality", op: "notIn", values: ["US"] }] }],
    reason: "Demo: the segment of the directive case",
  });
  const sdk = await store.createKey(tenant.id, SYSTEM_ACTOR, { name: "demo sdk", role: "sdk", env: "production" });
  return { tenantId: tenant.id, adminKey, sdkKey: sdk.secret };
}

/**
 * The id of the demo tenant an earlier start created, or null: a tenant named
 * "demo" whose first audit entry was written by the host itself, not by a root
 * token. Reads the small tenants table and one audit row per such tenant.
 */
export async function findDemoTenant(db: StoreDb): Promise<string | null> {
  const named = await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.name, DEMO_NAME));
  for (const { id } of named) {
    const [first] = await db
      .select({ role: auditLog.actorRole })
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, id), eq(auditLog.seq, 1)));
    if (first?.role === SYSTEM_ACTOR.role) return id;
  }
  return null;
}
