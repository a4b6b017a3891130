/**
 * Rules in plain words, for people: "off for nationality not in US". One place
 * renders every condition, rule, serve and segment, so that the flag overview,
 * the blocks list, the directive report and the CLI say the same thing.
 *
 * Values are shown as written (a string that is not a plain word is quoted as
 * JSON); long lists are cut after {@link MAX_LISTED_VALUES} values with a count
 * of the rest, since the rule itself stays available beside the words.
 */
import type { AttributeCondition, Condition, ConditionValue, Rule, Segment, Serve } from "@killswitch/sdk";

export const MAX_LISTED_VALUES = 20;

const OPERATOR_WORDS: Record<AttributeCondition["op"], string> = {
  in: "in",
  notIn: "not in",
  startsWith: "starts with",
  endsWith: "ends with",
  contains: "contains",
  lt: "less than",
  lte: "at most",
  gt: "greater than",
  gte: "at least",
  semverLt: "below version",
  semverGt: "above version",
  semverEq: "is version",
  before: "before",
  after: "after",
  exists: "is set",
  missing: "is missing",
};

/** `not in` for `notIn`: how an operator reads in a sentence. */
export function operatorInWords(op: AttributeCondition["op"]): string {
  return OPERATOR_WORDS[op];
}

const PLAIN = /^[A-Za-z0-9_.:@+/-]+$/;

function valueInWords(value: ConditionValue): string {
  return typeof value === "string" && PLAIN.test(value) ? value : JSON.stringify(value);
}

/** `US, CA` (or `a or b` for operators that hold for any one value), cut after MAX_LISTED_VALUES. */
function valuesInWords(values: readonly ConditionValue[], joiner: ", " | " or "): string {
  const shown = values.slice(0, MAX_LISTED_VALUES).map(valueInWords).join(joiner);
  const rest = values.length - MAX_LISTED_VALUES;
  return rest > 0 ? `${shown} and ${rest} more` : shown;
}

function isSegmentCondition(condition: Condition): condition is Extract<Condition, { segment: string[] }> {
  return "segment" in condition;
}

/** `nationality not in US`, `plan is set`, `in segment foreign-nationals`. */
export function conditionInWords(condition: Condition): string {
  if (isSegmentCondition(condition)) {
    const names = condition.segment;
    if (condition.negate) return names.length === 1 ? `not in segment ${names[0]}` : `in none of the segments ${names.join(", ")}`;
    return names.length === 1 ? `in segment ${names[0]}` : `in segment ${names.join(" or ")}`;
  }
  const words = OPERATOR_WORDS[condition.op];
  if (condition.op === "exists" || condition.op === "missing") return `${condition.attribute} ${words}`;
  const joiner = condition.op === "in" || condition.op === "notIn" ? ", " : " or ";
  return `${condition.attribute} ${words} ${valuesInWords(condition.values ?? [], joiner)}`;
}

/** Every condition joined by `and`; `everyone` when there is none. */
export function conditionsInWords(when: readonly Condition[]): string {
  return when.length === 0 ? "everyone" : when.map(conditionInWords).join(" and ");
}

/** `off`, or `a rollout of on 10 %, off 90 % by org` for a rollout. */
export function serveInWords(serve: Serve): string {
  if ("variant" in serve) return serve.variant;
  const parts = Object.entries(serve.rollout.weights).map(([variant, weight]) => `${variant} ${percent(weight)}`);
  const by = serve.rollout.bucketBy && serve.rollout.bucketBy !== "key" ? ` by ${serve.rollout.bucketBy}` : "";
  return `a rollout of ${parts.join(", ")}${by}`;
}

/** Rollout weights are out of 100,000. */
function percent(weight: number): string {
  return `${Math.round(weight / 10) / 100} %`;
}

/** `off for nationality not in US`. */
export function ruleInWords(rule: Pick<Rule, "when" | "serve">): string {
  return `${serveInWords(rule.serve)} for ${conditionsInWords(rule.when)}`;
}

/** What a killed flag serves: `off for everyone (killed)`. */
export function killInWords(offVariant: string): string {
  return `${offVariant} for everyone (killed)`;
}

/** What serves when no rule matches: `otherwise on`. */
export function fallthroughInWords(serve: Serve): string {
  return `otherwise ${serveInWords(serve)}`;
}

/**
 * Who is in a segment, one line per way in, in the order the evaluator decides:
 * `except keys user-123`, then `keys u-1, u-2`, then each rule (`nationality not in US`).
 * A context is a member when a line after `except` holds, unless `except` does.
 */
export function segmentInWords(segment: Pick<Segment, "include" | "exclude" | "rules">): string[] {
  if (segment.include.length === 0 && segment.rules.length === 0) return ["nobody"];
  const lines: string[] = [];
  if (segment.exclude.length > 0) lines.push(`except keys ${valuesInWords(segment.exclude, ", ")}`);
  if (segment.include.length > 0) lines.push(`keys ${valuesInWords(segment.include, ", ")}`);
  for (const rule of segment.rules) lines.push(conditionsInWords(rule.when));
  return lines;
}
