/**
 * Conditions of rules and segments. The rule engine is generic; these checks
 * catch what would silently do the wrong thing (an empty `notIn` list, a string
 * compared with `lt`) or what the evaluator would refuse. Checks that need the
 * tenant's declared attributes (unknown names, types, ISO 3166 codes) run in the
 * store: src/core/attributes/.
 */
import { z } from "zod";
import { OPERATORS } from "@killswitch/sdk";
import { isInstant, isSemver } from "@killswitch/sdk/validate.js";
import { attributePathSchema, entityKeySchema } from "./common.js";

/** ISO 3166-1 alpha-2, optionally with an ISO 3166-2 subdivision. */
export const COUNTRY_CODE_PATTERN = /^[A-Z]{2}(-[A-Z0-9]{1,3})?$/;

export const MAX_CONDITION_VALUES = 10_000;

const conditionValueSchema = z.union([z.string().max(1024), z.number().refine(Number.isFinite), z.boolean()]);

type Op = (typeof OPERATORS)[number];
const NUMERIC: ReadonlySet<Op> = new Set(["lt", "lte", "gt", "gte"]);
const TEXTUAL: ReadonlySet<Op> = new Set(["startsWith", "endsWith", "contains"]);
const SEMVER: ReadonlySet<Op> = new Set(["semverLt", "semverGt", "semverEq"]);
const TEMPORAL: ReadonlySet<Op> = new Set(["before", "after"]);

export const attributeConditionSchema = z
  .strictObject(
    {
      attribute: attributePathSchema,
      op: z.enum(OPERATORS),
      values: z.array(conditionValueSchema).max(MAX_CONDITION_VALUES).optional(),
    },
    {
      error: (issue) =>
        issue.code === "unrecognized_keys" && issue.keys.includes("segment")
          ? "segment rules may not name segments (no nesting): use attribute conditions"
          : undefined,
    },
  )
  .superRefine((condition, ctx) => {
    const { op, values } = condition;
    if (op === "exists" || op === "missing") {
      if (values !== undefined && values.length > 0) {
        ctx.addIssue({ code: "custom", path: ["values"], message: `"${op}" takes no values` });
      }
      return;
    }
    if (values === undefined || values.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["values"],
        message: `"${op}" needs a non-empty list of values (an empty list would match silently)`,
      });
      return;
    }
    values.forEach((value, i) => {
      const problem = valueProblem(op, value);
      if (problem) ctx.addIssue({ code: "custom", path: ["values", i], message: problem });
    });
  });

/**
 * Why the evaluator would refuse `value` for `op`, in prose; its own parsers decide
 * what an instant and a version are, so this accepts exactly what every SDK compiles.
 */
function valueProblem(op: Op, value: string | number | boolean): string | undefined {
  const shown = JSON.stringify(value);
  if (NUMERIC.has(op) && typeof value !== "number") return `"${op}" compares numbers; ${shown} is not a number`;
  if (TEXTUAL.has(op) && typeof value !== "string") return `"${op}" compares strings; ${shown} is not a string`;
  if (SEMVER.has(op) && (typeof value !== "string" || !isSemver(value))) {
    return `"${op}" takes versions like "1.2.3" (at most 256 characters); ${shown} is not a strict semantic version`;
  }
  if (TEMPORAL.has(op) && (typeof value !== "string" || !isInstant(value))) {
    return `"${op}" takes ISO 8601 instants like "2026-01-31T17:00:00Z" (a day that exists, hours 00–23); ${shown} is not one`;
  }
  return undefined;
}

export const segmentConditionSchema = z.strictObject({
  segment: z.array(entityKeySchema).min(1).max(50),
  negate: z.boolean().optional(),
});

export const conditionSchema = z.union([attributeConditionSchema, segmentConditionSchema]);

export type AttributeConditionInput = z.infer<typeof attributeConditionSchema>;
export type SegmentConditionInput = z.infer<typeof segmentConditionSchema>;
export type ConditionInput = z.infer<typeof conditionSchema>;
