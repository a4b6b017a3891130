/**
 * Conditions, serves and rules in the words the console shows them in
 * ("off for nationality not in US"). Presentation only: what a rule does is
 * decided by the evaluator.
 */
import type { Condition, Operator, Rule, Serve } from "@killswitch/sdk";

const OPERATOR_WORDS: Record<Operator, string> = {
  in: "in",
  notIn: "not in",
  startsWith: "starts with",
  endsWith: "ends with",
  contains: "contains",
  lt: "below",
  lte: "at most",
  gt: "above",
  gte: "at least",
  semverLt: "is a version below",
  semverGt: "is a version above",
  semverEq: "is version",
  before: "before",
  after: "after",
  exists: "is set",
  missing: "is missing",
};

export const operatorWords = (op: Operator): string => OPERATOR_WORDS[op];

export function conditionWords(condition: Condition): string {
  if ("segment" in condition) {
    const names = condition.segment.join(" or ");
    return condition.negate ? `not in segment ${names}` : `in segment ${names}`;
  }
  const values = (condition.values ?? []).map((v) => String(v)).join(", ");
  return `${condition.attribute} ${OPERATOR_WORDS[condition.op]}${values ? ` ${values}` : ""}`;
}

export function serveWords(serve: Serve): string {
  if ("variant" in serve) return serve.variant;
  const parts = Object.entries(serve.rollout.weights).map(([variant, weight]) => `${weight / 1000} % ${variant}`);
  return `split ${parts.join(" / ")}`;
}

/** "off for nationality not in US and employer in acme"; "off for everyone" without conditions. */
export function ruleWords(rule: Pick<Rule, "when" | "serve">): string {
  const who = rule.when.length === 0 ? "everyone" : rule.when.map(conditionWords).join(" and ");
  return `${serveWords(rule.serve)} for ${who}`;
}
