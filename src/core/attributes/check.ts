/**
 * Conditions and rollouts against the tenant's declared attributes: a name must be
 * declared (a typo is refused with a suggestion), an operator must apply to the
 * declared type, `in`/`notIn` values must have that type, and an attribute declared
 * with `codes: "iso3166"` takes upper-case ISO 3166 codes only. Evaluation itself is
 * unchanged: a wrong-typed value in a context is still missing.
 */
import type { AttributeCondition, Condition, Operator, Rule, Serve } from "@killswitch/sdk";
import type { FieldError } from "../problem.js";
import { COUNTRY_CODE_PATTERN } from "../schemas/condition.js";
import type { AttributeType } from "../schemas/attribute.js";
import type { AttributeView } from "../schemas/responses.js";
import { closestName } from "./suggest.js";

/** Name → declaration, built-ins included. */
export type Declarations = ReadonlyMap<string, AttributeView>;

const STRING_OPS: readonly Operator[] = ["in", "notIn", "startsWith", "endsWith", "contains", "exists", "missing"];

/** The operators that can hold for a value of each type. */
export const OPERATORS_OF_TYPE: Record<AttributeType, readonly Operator[]> = {
  string: STRING_OPS,
  semver: [...STRING_OPS, "semverLt", "semverGt", "semverEq"],
  instant: [...STRING_OPS, "before", "after"],
  number: ["in", "notIn", "lt", "lte", "gt", "gte", "exists", "missing"],
  boolean: ["in", "notIn", "exists", "missing"],
};

/** `typeof` of the values `in`/`notIn` compare an attribute of each type with. */
const VALUE_TYPE: Record<AttributeType, string> = { string: "string", semver: "string", instant: "string", number: "number", boolean: "boolean" };

export function unknownAttributeMessage(name: string, declared: Declarations): string {
  const suggestion = closestName(name, declared.keys());
  return suggestion === undefined
    ? `unknown attribute "${name}": declare it first with POST /v1/attributes`
    : `unknown attribute "${name}": did you mean "${suggestion}"? Declare it first with POST /v1/attributes`;
}

/**
 * One attribute condition against its declaration (`declaration` undefined: not
 * declared); `path` is the condition's (`rules[0].when[1]`).
 */
export function declaredConditionErrors(
  condition: AttributeCondition,
  declaration: AttributeView | undefined,
  declared: Declarations,
  path: string,
): FieldError[] {
  const { attribute, op, values } = condition;
  if (declaration === undefined) {
    return [{ path: `${path}.attribute`, message: unknownAttributeMessage(attribute, declared), code: "unknown_attribute" }];
  }
  const { type } = declaration;
  if (type !== undefined && !OPERATORS_OF_TYPE[type].includes(op)) {
    return [
      {
        path: `${path}.op`,
        message: `"${op}" cannot apply to "${attribute}", declared as ${type}; its operators: ${OPERATORS_OF_TYPE[type].join(", ")}`,
        code: "operator_mismatch",
      },
    ];
  }
  const errors: FieldError[] = [];
  (values ?? []).forEach((value, k) => {
    const shown = JSON.stringify(value);
    if (declaration.codes === "iso3166" && (typeof value !== "string" || !COUNTRY_CODE_PATTERN.test(value))) {
      errors.push({
        path: `${path}.values[${k}]`,
        message: `${shown} is not an upper-case ISO 3166 code such as "US" or "US-CA" (${attribute} is compared exactly)`,
        code: "not_a_country_code",
      });
    } else if (type !== undefined && (op === "in" || op === "notIn") && typeof value !== VALUE_TYPE[type]) {
      errors.push({
        path: `${path}.values[${k}]`,
        message: `${shown} is a ${typeof value}, but "${attribute}" is declared as ${type}: it would never be equal`,
        code: "value_type_mismatch",
      });
    }
  });
  return errors;
}

/** Every attribute condition of a list (segment conditions are skipped). */
export function conditionsErrors(conditions: readonly Condition[], declared: Declarations, path: string): FieldError[] {
  return conditions.flatMap((condition, j) =>
    "segment" in condition ? [] : declaredConditionErrors(condition, declared.get(condition.attribute), declared, `${path}[${j}]`),
  );
}

/** A rollout's `bucketBy` (default `key`): declared, a string or a number, not a list. */
export function bucketByErrors(bucketBy: string, declaration: AttributeView | undefined, declared: Declarations, path: string): FieldError[] {
  if (declaration === undefined) {
    return [{ path, message: unknownAttributeMessage(bucketBy, declared), code: "unknown_attribute" }];
  }
  if (declaration.type !== undefined && declaration.type !== "string" && declaration.type !== "number") {
    return [{ path, message: `a rollout buckets by a string or a number; "${bucketBy}" is declared as ${declaration.type}`, code: "operator_mismatch" }];
  }
  if (declaration.list) {
    return [{ path, message: `"${bucketBy}" is declared as a list, and a list cannot be bucketed: every context would get offVariant`, code: "operator_mismatch" }];
  }
  return [];
}

function serveErrors(serve: Serve, declared: Declarations, path: string): FieldError[] {
  if (!("rollout" in serve)) return [];
  const bucketBy = serve.rollout.bucketBy ?? "key";
  return bucketByErrors(bucketBy, declared.get(bucketBy), declared, `${path}.rollout.bucketBy`);
}

/** One rule of a flag: its conditions and its rollout. */
export function ruleAttributeErrors(rule: Pick<Rule, "when" | "serve">, declared: Declarations, path: string): FieldError[] {
  return [...conditionsErrors(rule.when, declared, `${path}.when`), ...serveErrors(rule.serve, declared, `${path}.serve`)];
}

/** A flag config: every rule, and the fallthrough's rollout. */
export function configAttributeErrors(
  config: { rules: readonly Pick<Rule, "when" | "serve">[]; fallthrough: Serve },
  declared: Declarations,
): FieldError[] {
  return [
    ...config.rules.flatMap((rule, i) => ruleAttributeErrors(rule, declared, `rules[${i}]`)),
    ...serveErrors(config.fallthrough, declared, "fallthrough"),
  ];
}

/** A segment's rules. */
export function segmentAttributeErrors(rules: readonly { when: readonly Condition[] }[], declared: Declarations): FieldError[] {
  return rules.flatMap((rule, i) => conditionsErrors(rule.when, declared, `rules[${i}].when`));
}
