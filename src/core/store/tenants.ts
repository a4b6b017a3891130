/**
 * Tenants: created by the root token, each starting with environment `production`
 * and one admin key.
 */
import { count, eq } from "drizzle-orm";
import { ROOT_ACTOR, type Actor } from "../actor.js";
import { apiKeys, environments, signingKeys, tenants } from "../db/schema.js";
import { issueSecret, newKeyId, TENANT_ID_PATTERN } from "../keys/token.js";
import { conflict } from "../problem.js";
import type { TenantCreateInput } from "../schemas/admin.js";
import type { TenantView } from "../schemas/responses.js";
import type { StoreContext } from "./context.js";
import { commitMutation } from "./mutation.js";
import { newEnvironmentSigning } from "./signing-keys.js";
import { tenantView } from "./views.js";

export const FIRST_ENVIRONMENT = "production";

export interface CreatedTenant {
  tenant: TenantView;
  /** The whole bearer token of the tenant's first admin key, shown once. */
  adminKey: string;
  adminKeyId: string;
}

export async function createTenant(ctx: StoreContext, input: TenantCreateInput, actor: Actor = ROOT_ACTOR): Promise<CreatedTenant> {
  const tenantId = ctx.newTenantId();
  return commitMutation(ctx, tenantId, actor, async ({ now }) => {
    if (!TENANT_ID_PATTERN.test(tenantId)) throw new Error(`tenant ids match ${TENANT_ID_PATTERN}, not "${tenantId}"`);
    const [taken] = await ctx.db.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenantId));
    if (taken) throw conflict("A tenant id collided; retry the request.");
    const secret = await issueSecret(tenantId);
    const keyId = newKeyId();
    const tenant = { id: tenantId, name: input.name, createdAt: now };
    const signing = await newEnvironmentSigning(tenantId, FIRST_ENVIRONMENT, now);
    return {
      statements: [
        ctx.db.insert(tenants).values(tenant),
        ctx.db.insert(environments).values({ tenantId, key: FIRST_ENVIRONMENT, version: 0, createdAt: now, epoch: signing.epoch }),
        ctx.db.insert(signingKeys).values(signing.key),
        ctx.db.insert(apiKeys).values({
          tenantId,
          id: keyId,
          name: "admin",
          role: "admin",
          env: null,
          prefix: secret.prefix,
          secretHash: secret.secretHash,
          createdAt: now,
        }),
      ],
      changes: [],
      audit: {
        action: "tenant.create",
        entity: "tenant",
        key: tenantId,
        before: null,
        after: {
          id: tenantId,
          name: input.name,
          environment: FIRST_ENVIRONMENT,
          adminKey: { id: keyId, role: "admin" },
          signingKey: signing.key.publicKey,
          epoch: signing.epoch,
        },
      },
      result: { tenant: tenantView(tenant), adminKey: secret.token, adminKeyId: keyId },
      createdKeyPrefix: secret.prefix,
    };
  });
}

export async function hasTenants(ctx: StoreContext): Promise<boolean> {
  const [row] = await ctx.db.select({ n: count() }).from(tenants);
  return (row?.n ?? 0) > 0;
}
