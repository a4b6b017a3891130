/**
 * The evaluator's verdict on a config, for the service: it refuses a flag that
 * every SDK would serve as PARSE_ERROR. A separate entry (`@killswitch/sdk/validate`)
 * because applications never validate.
 *
 * @packageDocumentation
 */
import type { Segment, WireFlag } from "./model.js";
import { Ruleset } from "./ruleset.js";
import { compileSegment } from "./evaluator/compile.js";
import { parseInstant } from "./evaluator/instant.js";
import { parseSemver } from "./evaluator/semver.js";

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

/**
 * Why the evaluator cannot compile a segment (every flag naming it would then serve
 * PARSE_ERROR), or undefined when it can.
 *
 * @example
 * ```ts
 * import { checkSegment } from "@killswitch/sdk/validate";
 * checkSegment({ key: "s", include: [], exclude: [], rules: [{ when: [] }], version: 1 }); // undefined
 * ```
 */
export function checkSegment(segment: Segment): string | undefined {
  return compileSegment(segment?.key ?? "", segment, Date.now)._error;
}

/**
 * Whether the evaluator reads `value` as an instant for `before`/`after`: RFC 3339
 * with `Z` or an offset, or a bare date; a day that exists, hours 00–23.
 *
 * @example
 * ```ts
 * isInstant("2026-02-28T00:00:00Z"); // true
 * isInstant("2026-02-30T00:00:00Z"); // false
 * ```
 */
export function isInstant(value: string): boolean {
  return !Number.isNaN(parseInstant(value));
}

/**
 * Whether the evaluator reads `value` as a strict semantic version (at most 256
 * characters) for `semverLt`/`semverGt`/`semverEq`.
 *
 * @example
 * ```ts
 * isSemver("1.2.3-rc.1"); // true
 * isSemver("v1.2.3"); // false
 * ```
 */
export function isSemver(value: string): boolean {
  return parseSemver(value) !== undefined;
}
