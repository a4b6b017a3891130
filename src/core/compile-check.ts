/**
 * The last check of every write that changes what SDKs receive: the SDK's own
 * compiler (`@killswitch/sdk/validate`) must accept the flag or segment as it will
 * be sent. The schemas already refuse what the evaluator refuses, in prose; this
 * keeps the promise when they drift, and for configs stored before they agreed.
 *
 * The compiler answers with a field name only (`invalid values`), so the offending
 * path is found by compiling smaller copies (the flag without its rules, one rule,
 * one condition, one value) until the part it refuses is found. The compiler
 * itself decides every step; this runs only when the whole was refused.
 */
import type { AttributeCondition, Condition, Rule, Segment, WireFlag } from "@killswitch/sdk";
import { checkFlag, checkSegment } from "@killswitch/sdk/validate.js";
import type { FieldError } from "./problem.js";

const CODE = "uncompilable";
const CONSEQUENCE = "every SDK would refuse it and serve callers' defaults for the whole flag";

/** The field the compiler names (`invalid values` → `values`). */
const fieldOf = (problem: string): string => problem.replace(/^invalid /, "");

/** A serve's fields as the compiler names them → their path under the serve. */
const SERVE_FIELDS: Record<string, string> = {
  serve: "",
  variant: ".variant",
  rollout: ".rollout",
  weights: ".rollout.weights",
  bucketBy: ".rollout.bucketBy",
  salt: ".rollout.salt",
};

/** Fields of the flag outside its rules, as the compiler names them → their path. */
function flagFieldPath(field: string): string {
  if (field in SERVE_FIELDS) return `fallthrough${SERVE_FIELDS[field]}`;
  return field === "flag" ? "" : field;
}

function uncompilable(path: string, what: string, problem: string): FieldError {
  return { path, message: `${what} cannot be compiled by the SDK (${problem}): ${CONSEQUENCE}`, code: CODE };
}

/**
 * Where a flag is refused by the SDK's compiler against these segments, as
 * errors at the config's paths (`rules[1].when[0].values[0]`); [] when it compiles.
 */
export function flagCompileErrors(flag: WireFlag, segments: Record<string, Segment>): FieldError[] {
  const problem = checkFlag(flag, segments);
  if (problem === undefined) return [];
  const bare: WireFlag = { ...flag, rules: [] };
  const bareProblem = checkFlag(bare, segments);
  if (bareProblem !== undefined) return [uncompilable(flagFieldPath(fieldOf(bareProblem)), "this field", bareProblem)];
  const withRule = (rule: Rule): string | undefined => checkFlag({ ...bare, rules: [rule] }, segments);
  const errors: FieldError[] = [];
  flag.rules.forEach((rule, i) => {
    const ruleProblem = withRule(rule);
    if (ruleProblem === undefined) return;
    const path = `rules[${i}]`;
    const emptyProblem = withRule({ ...rule, when: [] });
    if (emptyProblem !== undefined) {
      const field = fieldOf(emptyProblem);
      errors.push(uncompilable(field in SERVE_FIELDS ? `${path}.serve${SERVE_FIELDS[field]}` : path, "this rule", emptyProblem));
      return;
    }
    if (!Array.isArray(rule.when)) {
      errors.push(uncompilable(`${path}.when`, "this list", ruleProblem));
      return;
    }
    rule.when.forEach((condition, j) => {
      const check = (c: Condition): string | undefined => withRule({ ...rule, when: [c] });
      errors.push(...conditionErrors(condition, `${path}.when[${j}]`, check, segments));
    });
  });
  return errors.length > 0 ? errors : [uncompilable("", "this flag", problem)];
}

/** Where a segment is refused by the SDK's compiler, at the segment's paths; [] when it compiles. */
export function segmentCompileErrors(segment: Segment): FieldError[] {
  const problem = checkSegment(segment);
  if (problem === undefined) return [];
  const bare: Segment = { ...segment, rules: [] };
  const bareProblem = checkSegment(bare);
  if (bareProblem !== undefined) {
    const field = fieldOf(bareProblem);
    return [uncompilable(field === "segment" ? "" : field, "this field", bareProblem)];
  }
  const errors: FieldError[] = [];
  segment.rules.forEach((rule, i) => {
    const path = `rules[${i}].when`;
    const check = (when: unknown): string | undefined => checkSegment({ ...bare, rules: [{ when } as Segment["rules"][number]] });
    const ruleProblem = check(rule?.when);
    if (ruleProblem === undefined) return;
    if (!Array.isArray(rule.when)) {
      errors.push(uncompilable(path, "this list", ruleProblem));
      return;
    }
    rule.when.forEach((condition, j) => {
      errors.push(...conditionErrors(condition, `${path}[${j}]`, (c) => check([c])));
    });
  });
  return errors.length > 0 ? errors : [uncompilable("", "this segment", problem)];
}

/**
 * One condition, compiled alone by `check`: the operator, the attribute, each value,
 * or (in a flag) each segment it names.
 */
function conditionErrors(
  condition: Condition,
  path: string,
  check: (condition: Condition) => string | undefined,
  segments?: Record<string, Segment>,
): FieldError[] {
  const problem = check(condition);
  if (problem === undefined) return [];
  if (segments !== undefined && typeof condition === "object" && condition !== null && "segment" in condition && Array.isArray(condition.segment)) {
    const errors = condition.segment.flatMap((key, k) => {
      if (check({ ...condition, segment: [key] }) === undefined) return [];
      const segment = Object.hasOwn(segments, key) ? segments[key] : undefined;
      const message =
        segment === undefined
          ? `no segment "${key}" in this environment`
          : `segment "${key}" cannot be compiled by the SDK (${checkSegment(segment) ?? problem}): ${CONSEQUENCE}`;
      return [{ path: `${path}.segment[${k}]`, message, code: CODE }];
    });
    return errors.length > 0 ? errors : [uncompilable(path, "this condition", problem)];
  }
  const field = fieldOf(problem);
  if (field === "values" && Array.isArray((condition as AttributeCondition).values)) {
    const attribute = condition as AttributeCondition;
    const errors = (attribute.values ?? []).flatMap((value, k) =>
      check({ ...attribute, values: [value] }) === undefined
        ? []
        : [uncompilable(`${path}.values[${k}]`, `${JSON.stringify(value)} for "${attribute.op}"`, problem)],
    );
    return errors.length > 0 ? errors : [uncompilable(`${path}.values`, "this list", problem)];
  }
  const known = field === "op" || field === "attribute" || field === "negate";
  return [uncompilable(known ? `${path}.${field}` : path, "this condition", problem)];
}
