/**
 * Where rules and segments use an attribute: a declaration in use cannot be deleted,
 * and a change of it must keep every use valid. Both answers name the uses.
 */
import type { Rule, SegmentRule, Serve } from "@killswitch/sdk";
import type { FieldError } from "../problem.js";
import type { AttributeView } from "../schemas/responses.js";
import { bucketByErrors, declaredConditionErrors, type Declarations } from "./check.js";

export interface ConfigUseSource {
  env: string;
  flagKey: string;
  rules: readonly Rule[];
  fallthrough: Serve;
}

export interface SegmentUseSource {
  env: string;
  key: string;
  rules: readonly SegmentRule[];
}

export interface AttributeUse {
  /** `flag "model.x" in "production"` or `segment "beta" in "staging"`. */
  owner: string;
  /** The condition or rollout in the owner's body: `rules[0].when[1]`. */
  path: string;
  /** The use against a (new) declaration of the attribute. */
  errors(declaration: AttributeView, declared: Declarations): FieldError[];
}

function rolloutUse(owner: string, serve: Serve, path: string, name: string): AttributeUse[] {
  // Only a bucketBy written out: the implicit `key` is built in and never changes.
  if (!("rollout" in serve) || serve.rollout.bucketBy !== name) return [];
  const at = `${path}.rollout.bucketBy`;
  return [{ owner, path: at, errors: (declaration, declared) => bucketByErrors(name, declaration, declared, at) }];
}

function conditionUses(owner: string, when: readonly Rule["when"][number][], path: string, name: string): AttributeUse[] {
  return when.flatMap((condition, j) => {
    if ("segment" in condition || condition.attribute !== name) return [];
    const at = `${path}[${j}]`;
    return [{ owner, path: at, errors: (declaration, declared) => declaredConditionErrors(condition, declaration, declared, at) }];
  });
}

/** Every condition and explicit rollout `bucketBy` naming `name`, in every environment. */
export function attributeUses(name: string, configs: readonly ConfigUseSource[], segments: readonly SegmentUseSource[]): AttributeUse[] {
  const uses: AttributeUse[] = [];
  for (const config of configs) {
    const owner = `flag "${config.flagKey}" in "${config.env}"`;
    config.rules.forEach((rule, i) => {
      uses.push(...conditionUses(owner, rule.when, `rules[${i}].when`, name));
      uses.push(...rolloutUse(owner, rule.serve, `rules[${i}].serve`, name));
    });
    uses.push(...rolloutUse(owner, config.fallthrough, "fallthrough", name));
  }
  for (const segment of segments) {
    const owner = `segment "${segment.key}" in "${segment.env}"`;
    segment.rules.forEach((rule, i) => uses.push(...conditionUses(owner, rule.when, `rules[${i}].when`, name)));
  }
  return uses;
}

/** At most this many uses are named in an answer. */
const NAMED = 20;

/** `flag "x" in "production" (rules[0].when[1]), segment "beta" in "staging" (rules[0].when[0])`, bounded. */
export function describeUses(uses: readonly { owner: string; path: string }[]): string {
  const named = uses.slice(0, NAMED).map((use) => `${use.owner} (${use.path})`);
  return uses.length > NAMED ? `${named.join(", ")} and ${uses.length - NAMED} more` : named.join(", ");
}
