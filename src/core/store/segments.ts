/**
 * Segments: reusable targeting in one environment. Writing one is a change of that
 * environment; deleting one that a rule still names is refused.
 */
import type { Segment } from "@killswitch/sdk";
import { and, asc, eq, gt } from "drizzle-orm";
import type { Actor } from "../actor.js";
import { segments } from "../db/schema.js";
import { decodeCursor, toPage } from "../paging.js";
import { checkFlag } from "@killswitch/sdk/validate.js";
import { segmentAttributeErrors } from "../attributes/check.js";
import { canonicalJson } from "../canonical-json.js";
import { segmentCompileErrors } from "../compile-check.js";
import { conflict, invalid, invalidField, notFound, ProblemError, type FieldError } from "../problem.js";
import { namesSegment } from "../references.js";
import type { DeleteInput } from "../schemas/admin.js";
import type { PageQuery, Page } from "../schemas/paging.js";
import type { SegmentInput } from "../schemas/segment.js";
import type { StoreContext } from "./context.js";
import type { WriteOptions } from "./flag-configs.js";
import { readDeclarations } from "./attributes.js";
import { commitMutation, unchanged } from "./mutation.js";
import { readFlag, readFlagConfigsOfEnv, readNamedSegments, readSegment, requireEnvironment } from "./reads.js";
import { segmentView, wireFlag, type SegmentRow } from "./views.js";

export async function listSegments(ctx: StoreContext, tenantId: string, env: string, query: PageQuery): Promise<Page<Segment>> {
  await requireEnvironment(ctx.db, tenantId, env);
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, ["string"] as const)[0];
  const rows = await ctx.db
    .select()
    .from(segments)
    .where(and(eq(segments.tenantId, tenantId), eq(segments.env, env), after === undefined ? undefined : gt(segments.key, after)))
    .orderBy(asc(segments.key))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, segmentView, (row) => [row.key]);
}

export async function getSegment(ctx: StoreContext, tenantId: string, env: string, key: string): Promise<Segment> {
  await requireEnvironment(ctx.db, tenantId, env);
  const row = await readSegment(ctx.db, tenantId, env, key);
  if (!row) throw notFound(`No segment "${key}" in "${env}".`);
  return segmentView(row);
}

function checkIfMatch(options: WriteOptions, current: SegmentRow | undefined, env: string, key: string): void {
  if (options.ifMatch === undefined) return;
  if (current === undefined || current.version !== options.ifMatch) {
    const now = current === undefined ? "does not exist" : `is at version ${current.version}`;
    throw new ProblemError("staleVersion", `Segment "${key}" in "${env}" ${now}, not version ${options.ifMatch}: read it again and retry.`);
  }
}

export interface PutSegmentResult {
  segment: Segment;
  created: boolean;
}

export function putSegment(
  ctx: StoreContext,
  tenantId: string,
  actor: Actor,
  env: string,
  key: string,
  input: SegmentInput,
  options: WriteOptions = {},
): Promise<PutSegmentResult> {
  if (input.key !== undefined && input.key !== key) {
    return Promise.reject(invalidField("key", `the body's key "${input.key}" differs from the path's "${key}"`, "key_mismatch"));
  }
  return commitMutation(ctx, tenantId, actor, async ({ now }) => {
    const environment = await requireEnvironment(ctx.db, tenantId, env);
    const current = await readSegment(ctx.db, tenantId, env, key);
    const version = environment.version + 1;
    const row: SegmentRow = {
      tenantId,
      env,
      key,
      description: input.description ?? null,
      include: input.include,
      exclude: input.exclude,
      rules: input.rules,
      version,
      updatedAt: now,
    };
    if (current && canonicalJson({ ...segmentView(current), version }) === canonicalJson(segmentView(row))) {
      checkIfMatch(options, current, env, key);
      return unchanged({ segment: segmentView(current), created: false });
    }
    const attributeErrors = segmentAttributeErrors(input.rules, await readDeclarations(ctx.db, tenantId));
    if (attributeErrors.length > 0) throw invalid(attributeErrors);
    const compileErrors = [...segmentCompileErrors(segmentView(row)), ...(await brokenFlags(ctx, tenantId, env, segmentView(row)))];
    if (compileErrors.length > 0) throw invalid(compileErrors);
    checkIfMatch(options, current, env, key);
    const segment = segmentView(row);
    const { tenantId: _t, env: _e, key: _k, ...values } = row;
    return {
      statements: [
        current
          ? ctx.db
              .update(segments)
              .set(values)
              .where(and(eq(segments.tenantId, tenantId), eq(segments.env, env), eq(segments.key, key)))
          : ctx.db.insert(segments).values(row),
      ],
      changes: [{ env, version, entity: "segment", key, payload: segment }],
      audit: {
        action: current ? "segment.update" : "segment.create",
        entity: "segment",
        key,
        env,
        before: current ? segmentView(current) : null,
        after: segment,
        reason: input.reason,
        directive: input.directive,
      },
      result: { segment, created: current === undefined },
    };
  });
}

/**
 * The flags of the environment that name the segment, compile with its current
 * version and would not with `next`: each is an error naming the flag.
 */
async function brokenFlags(ctx: StoreContext, tenantId: string, env: string, next: Segment): Promise<FieldError[]> {
  const errors: FieldError[] = [];
  for (const config of await readFlagConfigsOfEnv(ctx.db, tenantId, env)) {
    if (!namesSegment(config.rules, next.key)) continue;
    const flag = await readFlag(ctx.db, tenantId, config.flagKey);
    if (!flag) continue;
    const wire = wireFlag(flag, config);
    const segments = await readNamedSegments(ctx.db, tenantId, env, config.rules);
    if (checkFlag(wire, segments) !== undefined) continue;
    const problem = checkFlag(wire, { ...segments, [next.key]: next });
    if (problem !== undefined) {
      errors.push({
        path: "",
        message: `flag "${config.flagKey}" names this segment, and every SDK would then refuse it (${problem}) and serve callers' defaults`,
        code: "breaks_flag",
      });
    }
  }
  return errors;
}

export async function deleteSegment(
  ctx: StoreContext,
  tenantId: string,
  actor: Actor,
  env: string,
  key: string,
  input: DeleteInput,
  options: WriteOptions = {},
): Promise<{ version: number }> {
  return commitMutation(ctx, tenantId, actor, async () => {
    const environment = await requireEnvironment(ctx.db, tenantId, env);
    const current = await readSegment(ctx.db, tenantId, env, key);
    if (!current) throw notFound(`No segment "${key}" in "${env}".`);
    checkIfMatch(options, current, env, key);
    const users = (await readFlagConfigsOfEnv(ctx.db, tenantId, env)).filter((config) => namesSegment(config.rules, key));
    if (users.length > 0) {
      const names = users.map((config) => `"${config.flagKey}"`).join(", ");
      throw conflict(`Segment "${key}" is still used by rules of ${users.length === 1 ? "flag" : "flags"} ${names} in "${env}"; remove those rules first.`);
    }
    const version = environment.version + 1;
    return {
      statements: [ctx.db.delete(segments).where(and(eq(segments.tenantId, tenantId), eq(segments.env, env), eq(segments.key, key)))],
      changes: [{ env, version, entity: "segment", key, payload: null }],
      audit: {
        action: "segment.delete",
        entity: "segment",
        key,
        env,
        before: segmentView(current),
        after: null,
        reason: input.reason,
        directive: input.directive,
      },
      result: { version },
    };
  });
}
