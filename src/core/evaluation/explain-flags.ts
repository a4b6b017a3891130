/**
 * The explain endpoint's answer: per flag, what it serves to a context and why,
 * rule by rule (the SDK's explainFlag, so it can never disagree with evaluation).
 */
import type { EvaluationContext, Ruleset } from "@killswitch/sdk";
import { explainFlag } from "@killswitch/sdk/explain.js";
import type { FlagExplanationView } from "../schemas/evaluate.js";

/**
 * Explains `flags` (listed order, duplicates dropped), or every flag of the
 * ruleset by key. A listed flag the environment lacks answers FLAG_NOT_FOUND, as
 * evaluation would.
 */
export function explainFlags(ruleset: Ruleset, context: EvaluationContext, flags?: readonly string[]): FlagExplanationView[] {
  const keys = flags ? [...new Set(flags)] : ruleset.keys().sort();
  return keys.map(
    (key) =>
      explainFlag(ruleset, key, context) ?? {
        flag: key,
        result: { value: null, reason: "ERROR", errorCode: "FLAG_NOT_FOUND", errorMessage: `no flag ${key}` },
        enabled: false,
        rules: [],
        fallthrough: false,
      },
  );
}
