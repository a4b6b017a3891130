/**
 * Conditions of rules and segments. The rule engine is generic; these checks
 * catch what would silently do the wrong thing (a lower-case country code, an
 * empty `notIn` list, a string compared with `lt`).
 */
import { z } from "zod";
import { OPERATORS } from "@killswitch/sdk";
import { attributePathSchema, entityKeySchema } from "./common.js";

/** ISO 3166-1 alpha-2, optionally with an ISO 3166-2 subdivision. */
export const COUNTRY_CODE_PATTERN = /^[A-Z]{2}(-[A-Z0-9]{1,3})?$/;

/** Semantic Versioning 2.0.0, strict (no `v` prefix). */
const SEMVER_PATTERN =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** An ISO 8601 instant: date, time and a zone. */
const INSTANT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

export const MAX_CONDITION_VALUES = 10_000;

const conditionValueSchema = z.union([z.string().max(1024), z.number().refine(Number.isFinite), z.boolean()]);

type Op = (typeof OPERATORS)[number];
const NUMERIC: ReadonlySet<Op> = new Set(["lt", "lte", "gt", "gte"]);
const TEXTUAL: ReadonlySet<Op> = new Set(["startsWith", "endsWith", "contains"]);
const SEMVER: ReadonlySet<Op> = new Set(["semverLt", "semverGt", "semverEq"]);
const TEMPORAL: ReadonlySet<Op> = new Set(["before", "after"]);

/** Attribute paths whose last segment names a country code. */
function isCountryAttribute(attribute: string): boolean {
  const last = attribute.slice(attribute.lastIndexOf(".") + 1).toLowerCase();
  return last === "nationality" || last === "region";
}

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
    const { attribute, op, values } = condition;
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
      const problem = valueProblem(attribute, op, value);
      if (problem) ctx.addIssue({ code: "custom", path: ["values", i], message: problem });
    });
  });

function valueProblem(attribute: string, op: Op, value: string | number | boolean): string | undefined {
  const shown = JSON.stringify(value);
  if (isCountryAttribute(attribute) && (typeof value !== "string" || !COUNTRY_CODE_PATTERN.test(value))) {
    return `${shown} is not an upper-case ISO 3166 code such as "US" or "US-CA" (${attribute} is compared exactly)`;
  }
  if (NUMERIC.has(op) && typeof value !== "number") return `"${op}" compares numbers; ${shown} is not a number`;
  if (TEXTUAL.has(op) && typeof value !== "string") return `"${op}" compares strings; ${shown} is not a string`;
  if (SEMVER.has(op) && (typeof value !== "string" || !SEMVER_PATTERN.test(value))) {
    return `"${op}" takes versions like "1.2.3"; ${shown} is not a strict semantic version`;
  }
  if (TEMPORAL.has(op) && (typeof value !== "string" || !INSTANT_PATTERN.test(value) || Number.isNaN(Date.parse(value)))) {
    return `"${op}" takes ISO 8601 instants like "2026-01-31T17:00:00Z"; ${shown} is not one`;
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
