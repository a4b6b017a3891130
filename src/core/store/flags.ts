/**
 * Flag definitions. A definition is tenant-level but SDKs receive it merged with
 * each environment's config, so creating a flag, changing its variants or deleting
 * it is a change in every environment: one change-log row and version bump each,
 * all in one commit.
 */
import type { JsonValue, WireFlag } from "@killswitch/sdk";
import { and, asc, eq, gt } from "drizzle-orm";
import type { Actor } from "../actor.js";
import type { Statement } from "../db/executor.js";
import { flagConfigs, flags } from "../db/schema.js";
import { defaultConfig } from "../flag-defaults.js";
import { decodeCursor, toPage } from "../paging.js";
import { flagCompileErrors } from "../compile-check.js";
import { conflict, invalid, type FieldError } from "../problem.js";
import { variantsUsed } from "../references.js";
import type { FlagDeleteInput } from "../schemas/admin.js";
import { formatPath } from "../schemas/issues.js";
import { BOOLEAN_VARIANTS, variantKindProblems, type FlagCreateInput, type FlagPatchInput } from "../schemas/flag.js";
import type { PageQuery, Page } from "../schemas/paging.js";
import type { FlagView } from "../schemas/responses.js";
import type { StoreContext } from "./context.js";
import { commitMutation, type EnvChange } from "./mutation.js";
import { readEnvironments, readFlag, readFlagConfigsOfFlag, readNamedSegments, requireFlag } from "./reads.js";
import { flagView, wireFlag, type FlagConfigRow, type FlagRow } from "./views.js";

export async function listFlags(ctx: StoreContext, tenantId: string, query: PageQuery): Promise<Page<FlagView>> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, ["string"] as const)[0];
  const rows = await ctx.db
    .select()
    .from(flags)
    .where(and(eq(flags.tenantId, tenantId), after === undefined ? undefined : gt(flags.key, after)))
    .orderBy(asc(flags.key))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, flagView, (row) => [row.key]);
}

export async function getFlag(ctx: StoreContext, tenantId: string, key: string): Promise<FlagView> {
  return flagView(await requireFlag(ctx.db, tenantId, key));
}

/** The definition as the audit log records it. */
const definition = (row: FlagRow) => ({
  key: row.key,
  kind: row.kind,
  variants: row.variants,
  description: row.description,
  tags: row.tags,
});

export async function createFlag(ctx: StoreContext, tenantId: string, actor: Actor, input: FlagCreateInput): Promise<FlagView> {
  return commitMutation(ctx, tenantId, actor, async ({ now }) => {
    const envs = await readEnvironments(ctx.db, tenantId);
    if (await readFlag(ctx.db, tenantId, input.key)) throw conflict(`Flag "${input.key}" already exists.`);
    const variants: Record<string, JsonValue> = input.variants ?? { ...BOOLEAN_VARIANTS };
    const flag: FlagRow = {
      tenantId,
      key: input.key,
      kind: input.kind,
      variants,
      description: input.description ?? null,
      tags: input.tags ?? [],
      createdAt: now,
      updatedAt: now,
    };
    const statements: Statement[] = [ctx.db.insert(flags).values(flag)];
    const changes: EnvChange[] = [];
    for (const env of envs) {
      const config: FlagConfigRow = {
        tenantId,
        env: env.key,
        flagKey: flag.key,
        ...defaultConfig(variants),
        staleAfterMs: null,
        version: env.version + 1,
        updatedAt: now,
      };
      statements.push(ctx.db.insert(flagConfigs).values(config));
      changes.push({ env: env.key, version: config.version, entity: "flag", key: flag.key, payload: wireFlag(flag, config) });
    }
    await checkCompiles(ctx, tenantId, changes);
    return {
      statements,
      changes,
      audit: {
        action: "flag.create",
        entity: "flag",
        key: flag.key,
        before: null,
        after: definition(flag),
        reason: input.reason,
        directive: input.directive,
      },
      result: flagView(flag),
    };
  });
}

export async function patchFlag(
  ctx: StoreContext,
  tenantId: string,
  actor: Actor,
  key: string,
  input: FlagPatchInput,
): Promise<FlagView> {
  return commitMutation(ctx, tenantId, actor, async ({ now }) => {
    const envs = await readEnvironments(ctx.db, tenantId);
    const before = await requireFlag(ctx.db, tenantId, key);
    const configs = await readFlagConfigsOfFlag(ctx.db, tenantId, key);
    const after: FlagRow = {
      ...before,
      variants: input.variants ?? before.variants,
      description: input.description === undefined ? before.description : input.description,
      tags: input.tags ?? before.tags,
      updatedAt: now,
    };
    const variantsChanged = JSON.stringify(after.variants) !== JSON.stringify(before.variants);
    if (variantsChanged) checkVariantChange(after, configs);

    const statements: Statement[] = [
      ctx.db
        .update(flags)
        .set({ variants: after.variants, description: after.description, tags: after.tags, updatedAt: now })
        .where(and(eq(flags.tenantId, tenantId), eq(flags.key, key))),
    ];
    const changes: EnvChange[] = [];
    // Description and tags never reach SDKs: only a variant change is an environment change.
    if (variantsChanged) {
      for (const env of envs) {
        const config = configs.find((c) => c.env === env.key);
        if (!config) continue;
        const updated: FlagConfigRow = { ...config, version: env.version + 1, updatedAt: now };
        statements.push(
          ctx.db
            .update(flagConfigs)
            .set({ version: updated.version, updatedAt: now })
            .where(and(eq(flagConfigs.tenantId, tenantId), eq(flagConfigs.env, env.key), eq(flagConfigs.flagKey, key))),
        );
        changes.push({ env: env.key, version: updated.version, entity: "flag", key, payload: wireFlag(after, updated) });
      }
      await checkCompiles(ctx, tenantId, changes);
    }
    return {
      statements,
      changes,
      audit: {
        action: "flag.update",
        entity: "flag",
        key,
        before: definition(before),
        after: definition(after),
        reason: input.reason,
        directive: input.directive,
      },
      result: flagView(after),
    };
  });
}

/**
 * Every environment's flag as SDKs will receive it must compile in the SDK; a
 * refusal names the environment and the config's path, at `variants` (the body's
 * only field that reaches SDKs).
 */
async function checkCompiles(ctx: StoreContext, tenantId: string, changes: readonly EnvChange[]): Promise<void> {
  const errors: FieldError[] = [];
  for (const change of changes) {
    const flag = change.payload as WireFlag;
    const segments = await readNamedSegments(ctx.db, tenantId, change.env, flag.rules);
    for (const error of flagCompileErrors(flag, segments)) {
      errors.push({ ...error, path: "variants", message: `in "${change.env}", ${error.path || "the flag"}: ${error.message}` });
    }
  }
  if (errors.length > 0) throw invalid(errors);
}

/** New variants must fit the kind, and no environment may still serve a removed one. */
function checkVariantChange(flag: FlagRow, configs: readonly FlagConfigRow[]): void {
  const problems = variantKindProblems(flag.kind, flag.variants);
  if (problems.length > 0) {
    throw invalid(problems.map(({ name, message }) => ({ path: formatPath(["variants", name]), message, code: "custom" })));
  }
  const inUse: string[] = [];
  for (const config of configs) {
    for (const name of variantsUsed(config)) {
      if (!Object.prototype.hasOwnProperty.call(flag.variants, name)) inUse.push(`"${name}" (${config.env})`);
    }
  }
  if (inUse.length > 0) {
    throw conflict(`Variants still served or used as offVariant: ${inUse.join(", ")}. Change those configs first.`);
  }
}

export async function deleteFlag(ctx: StoreContext, tenantId: string, actor: Actor, key: string, input: FlagDeleteInput): Promise<void> {
  await commitMutation(ctx, tenantId, actor, async () => {
    const envs = await readEnvironments(ctx.db, tenantId);
    const flag = await requireFlag(ctx.db, tenantId, key);
    const configs = await readFlagConfigsOfFlag(ctx.db, tenantId, key);
    const changes: EnvChange[] = envs
      .filter((env) => configs.some((c) => c.env === env.key))
      .map((env) => ({ env: env.key, version: env.version + 1, entity: "flag", key, payload: null }));
    return {
      statements: [
        ctx.db.delete(flagConfigs).where(and(eq(flagConfigs.tenantId, tenantId), eq(flagConfigs.flagKey, key))),
        ctx.db.delete(flags).where(and(eq(flags.tenantId, tenantId), eq(flags.key, key))),
      ],
      changes,
      audit: {
        action: "flag.delete",
        entity: "flag",
        key,
        before: definition(flag),
        after: null,
        reason: input.reason,
        directive: input.directive,
      },
      result: undefined,
    };
  });
}
