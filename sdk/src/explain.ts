/**
 * The operator's "why is this user blocked?", for the service and operator tools.
 * A separate entry (`@killswitch/sdk/explain`) because applications never explain:
 * keeping it out of the core saves its bytes in every application's bundle.
 *
 * @packageDocumentation
 */
import type { EvaluationContext } from "./model.js";
import type { Ruleset } from "./ruleset.js";
import { asContext } from "./evaluator/context-path.js";
import { explainCompiled, type Explanation } from "./evaluator/explain.js";

export type { Explanation, RuleExplanation } from "./evaluator/explain.js";
export { bucketOf } from "./evaluator/hash.js";

/**
 * Per rule in order, whether it matched and which condition failed, with segment
 * membership reasons; `result` is what `rules.resolve` serves. Undefined for a flag
 * the ruleset does not hold. Never throws.
 *
 * @example
 * ```ts
 * import { explainFlag } from "@killswitch/sdk/explain";
 * explainFlag(rules, "model.fable-5", { key: "u1" })?.rules[0]?.failedCondition?.detail;
 * // "nationality is missing, so in [\"US\"] does not hold"
 * ```
 */
export function explainFlag(rules: Ruleset, flagKey: string, context: EvaluationContext): Explanation | undefined {
  const f = rules._find(flagKey);
  if (f === undefined) return undefined;
  const ctx = asContext(context);
  const result = rules.resolve(flagKey, ctx);
  try {
    return explainCompiled(f, ctx, result);
  } catch {
    // Only a hostile context (a throwing getter or Proxy) gets here, as in evaluation.
    return { flag: flagKey, result, enabled: f._error === undefined && f._enabled, rules: [], fallthrough: false };
  }
}
