/**
 * A flag's config in one environment, and the operator's actions on it: put the
 * whole config, kill, restore, block a segment or condition list, remove a rule.
 * Each commits one change of that environment.
 */
import type { Condition, FlagConfig, Rule } from "@killswitch/sdk";
import { and, eq } from "drizzle-orm";
import type { Actor } from "../actor.js";
import { randomAlphanumeric } from "../crypto.js";
import { flagConfigs } from "../db/schema.js";
import { configAttributeErrors, ruleAttributeErrors, type Declarations } from "../attributes/check.js";
import { canonicalJson } from "../canonical-json.js";
import { flagCompileErrors } from "../compile-check.js";
import { invalid, notFound, ProblemError, type FieldError } from "../problem.js";
import { configReferenceErrors } from "../references.js";
import type { BlockInput, KillInput } from "../schemas/actions.js";
import type { FlagConfigInput } from "../schemas/flag-config.js";
import type { VersionAnswer } from "../schemas/responses.js";
import type { StoreContext } from "./context.js";
import { readDeclarations } from "./attributes.js";
import { commitMutation, unchanged, type PlanOutcome } from "./mutation.js";
import { checkedInstant, withLift } from "./schedule.js";
import { readNamedSegments, requireEnvironment, requireFlag, requireFlagConfig } from "./reads.js";
import { flagConfigView, wireFlag, type FlagConfigRow, type FlagRow } from "./views.js";

export interface WriteOptions {
  /** The entity version the caller last read (If-Match); absent: last writer wins. */
  ifMatch?: number;
}

export async function getFlagConfig(ctx: StoreContext, tenantId: string, env: string, key: string): Promise<FlagConfig> {
  await requireEnvironment(ctx.db, tenantId, env);
  return flagConfigView(await requireFlagConfig(ctx.db, tenantId, env, key));
}

type ConfigState = Omit<FlagConfig, "version">;

export interface ConfigEdit<R> {
  action: string;
  next: ConfigState;
  reason?: string | undefined;
  directive?: string | undefined;
  result: (version: number) => R;
  /** The attribute checks of what this edit writes (kill, restore and rule removal write no condition). */
  attributeErrors?: (declared: Declarations) => FieldError[];
  /** A PUT: when `next` is the current state, answer this without a commit. */
  unchanged?: (current: FlagConfig) => R;
}

/**
 * Plans and commits one edit of one config: references, declared attributes and the
 * SDK's compiler checked (400), If-Match checked (409), version bumped.
 */
function editConfig<R>(
  ctx: StoreContext,
  tenantId: string,
  actor: Actor,
  env: string,
  key: string,
  options: WriteOptions,
  edit: ConfigEditor<R>,
): Promise<R> {
  return commitMutation(ctx, tenantId, actor, ({ now }) => planConfigEdit(ctx, tenantId, env, key, options, now, edit));
}

/** Builds an edit from the config and flag as they are read in the plan. */
export type ConfigEditor<R> = (current: FlagConfigRow, flag: FlagRow) => ConfigEdit<R>;

/**
 * The plan of one config edit, from fresh reads, checked as every write is (the
 * compile gate included): what `editConfig` commits, what a scheduled change
 * checks when it is scheduled, and what the scheduler commits when it falls due.
 */
export async function planConfigEdit<R>(
  ctx: StoreContext,
  tenantId: string,
  env: string,
  key: string,
  options: WriteOptions,
  now: number,
  edit: ConfigEditor<R>,
): Promise<PlanOutcome<R>> {
  const environment = await requireEnvironment(ctx.db, tenantId, env);
  const flag = await requireFlag(ctx.db, tenantId, key);
  const current = await requireFlagConfig(ctx.db, tenantId, env, key);
  const change = edit(current, flag);
  const isUnchanged = change.unchanged !== undefined && canonicalJson(change.next) === canonicalJson(stateOf(current));
  if (!isUnchanged) {
    const segments = await readNamedSegments(ctx.db, tenantId, env, change.next.rules);
    const errors = configReferenceErrors(change.next, flag.variants, new Set(Object.keys(segments)));
    if (change.attributeErrors) errors.push(...change.attributeErrors(await readDeclarations(ctx.db, tenantId)));
    if (errors.length > 0) throw invalid(errors);
    const compileErrors = flagCompileErrors(wireFlag(flag, { ...current, ...change.next, staleAfterMs: change.next.staleAfterMs ?? null }), segments);
    if (compileErrors.length > 0) throw invalid(compileErrors);
  }
  if (options.ifMatch !== undefined && options.ifMatch !== current.version) {
    throw new ProblemError(
      "staleVersion",
      `Flag "${key}" in "${env}" is at version ${current.version}, not ${options.ifMatch}: read it again and retry.`,
    );
  }
  if (isUnchanged) return unchanged(change.unchanged!(flagConfigView(current)));
  const version = environment.version + 1;
  const row: FlagConfigRow = {
    ...current,
    ...change.next,
    staleAfterMs: change.next.staleAfterMs ?? null,
    version,
    updatedAt: now,
  };
  return {
    statements: [
      ctx.db
        .update(flagConfigs)
        .set({
          enabled: row.enabled,
          offVariant: row.offVariant,
          rules: row.rules,
          fallthrough: row.fallthrough,
          failMode: row.failMode,
          staleAfterMs: row.staleAfterMs,
          version,
          updatedAt: now,
        })
        .where(and(eq(flagConfigs.tenantId, tenantId), eq(flagConfigs.env, env), eq(flagConfigs.flagKey, key))),
    ],
    changes: [{ env, version, entity: "flag", key, payload: wireFlag(flag, row) }],
    audit: {
      action: change.action,
      entity: "flag-config",
      key,
      env,
      before: flagConfigView(current),
      after: flagConfigView(row),
      reason: change.reason,
      directive: change.directive,
    },
    result: change.result(version),
  };
}

const stateOf = (row: FlagConfigRow): ConfigState => {
  const { version: _version, ...state } = flagConfigView(row);
  return state;
};

/** A rule id not yet used in `rules`. */
function newRuleId(rules: readonly { id?: string | undefined }[]): string {
  for (;;) {
    const id = `r${randomAlphanumeric(8)}`;
    if (!rules.some((rule) => rule.id === id)) return id;
  }
}

export function putFlagConfig(
  ctx: StoreContext,
  tenantId: string,
  actor: Actor,
  env: string,
  key: string,
  input: FlagConfigInput,
  options: WriteOptions = {},
): Promise<FlagConfig> {
  return editConfig(ctx, tenantId, actor, env, key, options, () => {
    const rules: Rule[] = [];
    for (const rule of input.rules) rules.push({ ...rule, id: rule.id ?? newRuleId([...input.rules, ...rules]) });
    const next: ConfigState = {
      enabled: input.enabled,
      offVariant: input.offVariant,
      rules,
      fallthrough: input.fallthrough,
      failMode: input.failMode,
    };
    if (input.staleAfterMs !== undefined) next.staleAfterMs = input.staleAfterMs;
    return {
      action: "flag.config",
      next,
      reason: input.reason,
      directive: input.directive,
      result: (version) => ({ ...next, version }),
      attributeErrors: (declared) => configAttributeErrors(next, declared),
      unchanged: (current) => current,
    };
  });
}

/** The audit fields of an action. */
interface AuditFields {
  reason: string;
  directive?: string | undefined;
}

/** Kill and restore: flip `enabled` and keep the rest of the config as it is. */
export function enabledEditor(enabled: boolean, input: AuditFields): ConfigEditor<VersionAnswer> {
  return (current) => ({
    action: enabled ? "flag.restore" : "flag.kill",
    next: { ...stateOf(current), enabled },
    reason: input.reason,
    directive: input.directive,
    result: (version) => ({ version }),
  });
}

/** The rule a block inserts, without its id. */
export interface BlockRule {
  segment?: string | string[] | undefined;
  when?: Condition[] | undefined;
  description?: string | undefined;
}

/** Inserts, as the first rule, a rule serving `offVariant` to a segment or to matching contexts. */
export function blockEditor(block: BlockRule, input: AuditFields): ConfigEditor<VersionAnswer> {
  return (current) => {
    const state = stateOf(current);
    const segments = block.segment === undefined ? undefined : typeof block.segment === "string" ? [block.segment] : block.segment;
    const rule: Rule = {
      id: newRuleId(state.rules),
      description: block.description ?? input.reason,
      when: segments ? [{ segment: segments }] : (block.when ?? []),
      serve: { variant: state.offVariant },
    };
    if (input.directive !== undefined) rule.directive = input.directive;
    return {
      action: "flag.block",
      next: { ...state, rules: [rule, ...state.rules] },
      reason: input.reason,
      directive: input.directive,
      result: (version) => ({ version, ruleId: rule.id }),
      attributeErrors: (declared) => ruleAttributeErrors(rule, declared, "rules[0]"),
    };
  };
}

/** The edit names a block's new rule `rules[0]`; the caller wrote `segment` or `when`. */
export function blockErrorPaths(error: unknown): never {
  if (error instanceof ProblemError && error.errors) {
    const errors = error.errors.map((e) => ({
      ...e,
      path: e.path.replace(/^rules\[0\]\.when\[0\]\.segment/, "segment").replace(/^rules\[0\]\.when/, "when"),
    }));
    throw invalid(errors);
  }
  throw error;
}

export function removeRuleEditor(env: string, key: string, ruleId: string, input: AuditFields): ConfigEditor<VersionAnswer> {
  return (current) => {
    const state = stateOf(current);
    if (!state.rules.some((rule) => rule.id === ruleId)) throw notFound(`No rule "${ruleId}" on flag "${key}" in "${env}".`);
    return {
      action: "flag.rule.remove",
      next: { ...state, rules: state.rules.filter((rule) => rule.id !== ruleId) },
      reason: input.reason,
      directive: input.directive,
      result: (version) => ({ version }),
    };
  };
}

/**
 * Kill; with `until`, the restore that lifts it is scheduled in the same commit.
 * With `at`, see schedule.ts.
 */
export function killFlag(
  ctx: StoreContext,
  tenantId: string,
  actor: Actor,
  env: string,
  key: string,
  input: KillInput,
  options: WriteOptions = {},
): Promise<VersionAnswer> {
  return commitMutation(ctx, tenantId, actor, async ({ now }) => {
    const until = input.until === undefined ? undefined : checkedInstant("until", input.until, now);
    const planned = await planConfigEdit(ctx, tenantId, env, key, options, now, enabledEditor(false, input));
    return until === undefined ? planned : withLift(ctx, tenantId, actor, planned, now, until, { env, key, action: "restore", input });
  });
}

/** Sets `enabled: true` and nothing else: a block is lifted only by removing its rule. */
export function restoreFlag(
  ctx: StoreContext,
  tenantId: string,
  actor: Actor,
  env: string,
  key: string,
  input: AuditFields,
  options: WriteOptions = {},
): Promise<VersionAnswer> {
  return editConfig(ctx, tenantId, actor, env, key, options, enabledEditor(true, input));
}

/**
 * Inserts a first rule serving `offVariant` to a segment or to matching contexts;
 * with `until`, its removal is scheduled in the same commit.
 */
export function blockFlag(
  ctx: StoreContext,
  tenantId: string,
  actor: Actor,
  env: string,
  key: string,
  input: BlockInput,
  options: WriteOptions = {},
): Promise<VersionAnswer> {
  return commitMutation(ctx, tenantId, actor, async ({ now }) => {
    const until = input.until === undefined ? undefined : checkedInstant("until", input.until, now);
    const planned = await planConfigEdit(ctx, tenantId, env, key, options, now, blockEditor(input, input)).catch(blockErrorPaths);
    return until === undefined ? planned : withLift(ctx, tenantId, actor, planned, now, until, { env, key, action: "rule.remove", input });
  });
}

export function removeRule(
  ctx: StoreContext,
  tenantId: string,
  actor: Actor,
  env: string,
  key: string,
  ruleId: string,
  input: AuditFields,
  options: WriteOptions = {},
): Promise<VersionAnswer> {
  return editConfig(ctx, tenantId, actor, env, key, options, removeRuleEditor(env, key, ruleId, input));
}
