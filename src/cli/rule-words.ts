/**
 * Rules in plain words, for a preview before a write and for tables:
 * `off for nationality not in US, CA and employer in acme`.
 */
import type { Condition, ConditionValue, Rule, Serve } from "../../sdk/src/model.js";

const PHRASES: Record<string, string> = {
  in: "in",
  notIn: "not in",
  startsWith: "starts with",
  endsWith: "ends with",
  contains: "contains",
  lt: "<",
  lte: "≤",
  gt: ">",
  gte: "≥",
  semverLt: "below version",
  semverGt: "above version",
  semverEq: "is version",
  before: "before",
  after: "after",
};

/** A value as typed on the command line: words bare, anything ambiguous quoted. */
function valueWords(value: ConditionValue): string {
  if (typeof value !== "string") return String(value);
  return /^[A-Za-z0-9_.:@+-]+$/.test(value) && !/^(and|true|false)$/i.test(value) && Number.isNaN(Number(value)) ? value : JSON.stringify(value);
}

export function conditionWords(condition: Condition): string {
  if ("segment" in condition) {
    const names = condition.segment.join(", ");
    return `${condition.negate ? "not in" : "in"} segment ${names}`;
  }
  if (condition.op === "exists") return `${condition.attribute} is set`;
  if (condition.op === "missing") return `${condition.attribute} is not set`;
  return `${condition.attribute} ${PHRASES[condition.op] ?? condition.op} ${(condition.values ?? []).map(valueWords).join(", ")}`;
}

export function serveWords(serve: Serve, offVariant: string): string {
  if ("variant" in serve) return serve.variant === offVariant ? "off" : `serves ${serve.variant}`;
  const weights = Object.entries(serve.rollout.weights).map(([variant, w]) => `${variant} ${w / 1000}%`);
  return `rollout ${weights.join(" / ")}`;
}

/** `off for nationality not in US`; a rule without conditions is `… for everyone`. */
export function ruleWords(rule: Pick<Rule, "when" | "serve">, offVariant: string): string {
  const who = rule.when.length === 0 ? "everyone" : rule.when.map(conditionWords).join(" and ");
  return `${serveWords(rule.serve, offVariant)} for ${who}`;
}
