/**
 * Checks that need the stored state: every variant a config serves exists on the
 * flag, and every segment a rule names exists in the environment. Reported as
 * per-field errors with the body's paths.
 */
import type { Condition, Rule, Serve } from "@killswitch/sdk";
import type { FieldError } from "./problem.js";

interface ConfigReferences {
  offVariant: string;
  rules: readonly Pick<Rule, "when" | "serve">[];
  fallthrough: Serve;
}

export function configReferenceErrors(
  config: ConfigReferences,
  variants: Record<string, unknown>,
  segmentKeys: ReadonlySet<string>,
): FieldError[] {
  const errors: FieldError[] = [];
  const hasVariant = (name: string): boolean => Object.prototype.hasOwnProperty.call(variants, name);
  const names = Object.keys(variants).join(", ");
  const missingVariant = (path: string, name: string): void => {
    errors.push({ path, message: `no variant "${name}" on this flag (variants: ${names})`, code: "unknown_variant" });
  };

  if (!hasVariant(config.offVariant)) missingVariant("offVariant", config.offVariant);
  const checkServe = (serve: Serve, path: string): void => {
    if ("variant" in serve) {
      if (!hasVariant(serve.variant)) missingVariant(`${path}.variant`, serve.variant);
    } else {
      for (const name of Object.keys(serve.rollout.weights)) {
        if (!hasVariant(name)) missingVariant(`${path}.rollout.weights.${name}`, name);
      }
    }
  };
  checkServe(config.fallthrough, "fallthrough");
  config.rules.forEach((rule, i) => {
    checkServe(rule.serve, `rules[${i}].serve`);
    errors.push(...segmentReferenceErrors(rule.when, segmentKeys, `rules[${i}].when`));
  });
  return errors;
}

export function segmentReferenceErrors(
  conditions: readonly Condition[],
  segmentKeys: ReadonlySet<string>,
  path: string,
): FieldError[] {
  const errors: FieldError[] = [];
  conditions.forEach((condition, i) => {
    if (!("segment" in condition)) return;
    condition.segment.forEach((key, j) => {
      if (!segmentKeys.has(key)) {
        errors.push({
          path: `${path}[${i}].segment[${j}]`,
          message: `no segment "${key}" in this environment`,
          code: "unknown_segment",
        });
      }
    });
  });
  return errors;
}

/** Every segment key the rules name (with repeats). */
export function segmentsNamed(rules: readonly Pick<Rule, "when">[]): string[] {
  return rules.flatMap((rule) => rule.when.flatMap((condition) => ("segment" in condition ? condition.segment : [])));
}

/** Whether any rule of a config names the segment. */
export function namesSegment(rules: readonly Rule[], segment: string): boolean {
  return rules.some((rule) => rule.when.some((condition) => "segment" in condition && condition.segment.includes(segment)));
}

/** Every variant a config serves or falls back to. */
export function variantsUsed(config: ConfigReferences): Set<string> {
  const used = new Set<string>([config.offVariant]);
  const add = (serve: Serve): void => {
    if ("variant" in serve) used.add(serve.variant);
    else for (const name of Object.keys(serve.rollout.weights)) used.add(name);
  };
  add(config.fallthrough);
  for (const rule of config.rules) add(rule.serve);
  return used;
}
