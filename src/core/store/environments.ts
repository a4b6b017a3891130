/**
 * Environments. A new environment starts at version 0 with a default config for
 * every existing flag; no SDK can hold it yet, so no change-log rows are written.
 * It gets its signing key and a new epoch (src/core/store/signing-keys.ts).
 */
import { and, asc, eq, gt } from "drizzle-orm";
import type { Actor } from "../actor.js";
import { environments, flagConfigs, flags, signingKeys } from "../db/schema.js";
import { defaultConfig } from "../flag-defaults.js";
import { decodeCursor, toPage } from "../paging.js";
import { conflict } from "../problem.js";
import type { EnvCreateInput } from "../schemas/admin.js";
import type { PageQuery, Page } from "../schemas/paging.js";
import type { EnvironmentView } from "../schemas/responses.js";
import type { StoreContext } from "./context.js";
import { commitMutation } from "./mutation.js";
import { requireEnvironment } from "./reads.js";
import { newEnvironmentSigning } from "./signing-keys.js";
import { environmentView } from "./views.js";

export async function listEnvironments(ctx: StoreContext, tenantId: string, query: PageQuery): Promise<Page<EnvironmentView>> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, ["string"] as const)[0];
  const rows = await ctx.db
    .select()
    .from(environments)
    .where(and(eq(environments.tenantId, tenantId), after === undefined ? undefined : gt(environments.key, after)))
    .orderBy(asc(environments.key))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, environmentView, (row) => [row.key]);
}

export async function getEnvironment(ctx: StoreContext, tenantId: string, env: string): Promise<EnvironmentView> {
  return environmentView(await requireEnvironment(ctx.db, tenantId, env));
}

/**
 * The environment's current version: from the version cache once known (this
 * store raises it at every commit), else one read that fills it. Rejects 404 for
 * an environment the tenant does not have.
 */
export function envVersion(ctx: StoreContext, tenantId: string, env: string): number | Promise<number> {
  return ctx.versions.get(tenantId, env) ?? readEnvVersion(ctx, tenantId, env);
}

async function readEnvVersion(ctx: StoreContext, tenantId: string, env: string): Promise<number> {
  const generation = ctx.versions.generation;
  const { version } = await requireEnvironment(ctx.db, tenantId, env);
  ctx.versions.fill(tenantId, env, version, generation);
  // A commit may have raised it while we read.
  return ctx.versions.get(tenantId, env) ?? version;
}

export async function createEnvironment(
  ctx: StoreContext,
  tenantId: string,
  actor: Actor,
  input: EnvCreateInput,
): Promise<EnvironmentView> {
  return commitMutation(ctx, tenantId, actor, async ({ now }) => {
    const [existing] = await ctx.db
      .select({ key: environments.key })
      .from(environments)
      .where(and(eq(environments.tenantId, tenantId), eq(environments.key, input.key)));
    if (existing) throw conflict(`Environment "${input.key}" already exists.`);
    const allFlags = await ctx.db.select().from(flags).where(eq(flags.tenantId, tenantId));
    const signing = await newEnvironmentSigning(tenantId, input.key, now);
    const row = { tenantId, key: input.key, version: 0, createdAt: now, epoch: signing.epoch };
    return {
      statements: [
        ctx.db.insert(environments).values(row),
        ctx.db.insert(signingKeys).values(signing.key),
        ...allFlags.map((flag) =>
          ctx.db.insert(flagConfigs).values({
            tenantId,
            env: input.key,
            flagKey: flag.key,
            ...defaultConfig(flag.variants),
            staleAfterMs: null,
            version: 0,
            updatedAt: now,
          }),
        ),
      ],
      changes: [],
      audit: {
        action: "environment.create",
        entity: "environment",
        key: input.key,
        env: input.key,
        before: null,
        after: { key: input.key, signingKey: signing.key.publicKey, epoch: signing.epoch },
        reason: input.reason,
        directive: input.directive,
      },
      result: environmentView(row),
    };
  });
}
