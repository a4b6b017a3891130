/**
 * The evaluator's verdict on a config, for the service: it refuses a flag that
 * every SDK would serve as PARSE_ERROR. A separate entry (`@killswitch/sdk/validate`)
 * because applications never validate.
 *
 * @packageDocumentation
 */
import type { Segment, WireFlag } from "./model.js";
import { Ruleset } from "./ruleset.js";

/**
 * Why the evaluator cannot compile a flag against these segments (so it would serve
 * PARSE_ERROR), or undefined when it can.
 *
 * @example
 * ```ts
 * import { checkFlag } from "@killswitch/sdk/validate";
 * checkFlag(flag, segments); // "invalid segment" (the field, without its path)
 * ```
 */
export function checkFlag(flag: WireFlag, segments: Record<string, Segment>): string | undefined {
  const key = flag?.key ?? "";
  const rules = new Ruleset();
  rules.load({ [key]: flag }, segments, 0);
  return rules.problem(key);
}
