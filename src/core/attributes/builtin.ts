/**
 * The attributes every tenant has, without a stored row: a tenant created before
 * declarations existed has them too, and none can be changed or deleted, so that
 * the country-code check of `nationality` and `region` always holds.
 */
import type { AttributeView } from "../schemas/responses.js";

/** Sorted by name, as the list route answers. */
export const BUILT_IN_ATTRIBUTES: readonly AttributeView[] = Object.freeze([
  {
    name: "currentTime",
    type: "instant",
    list: false,
    description: "The time of evaluation: the context's value when given, else the evaluator's clock (before/after only).",
    builtIn: true,
  },
  { name: "employer", type: "string", list: true, description: "The subject's employers.", builtIn: true },
  { name: "key", type: "string", list: false, description: "Identifies the subject: segment include/exclude lists and rollouts read it.", builtIn: true },
  {
    name: "nationality",
    type: "string",
    list: true,
    codes: "iso3166",
    description: "Citizenships, as ISO 3166 codes; a dual national has several.",
    builtIn: true,
  },
  { name: "region", type: "string", list: true, codes: "iso3166", description: "Where the subject is, as ISO 3166 codes.", builtIn: true },
]);

const BY_NAME = new Map(BUILT_IN_ATTRIBUTES.map((attribute) => [attribute.name, attribute]));

export const builtInAttribute = (name: string): AttributeView | undefined => BY_NAME.get(name);
