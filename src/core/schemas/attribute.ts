/**
 * Declared context attributes (`/v1/attributes`): the names rules may use, with an
 * optional type that restricts the operators and an optional code list.
 */
import { z } from "zod";
import { answeredAuditSchema } from "./audit.js";
import { auditFields, descriptionSchema } from "./common.js";

export const ATTRIBUTE_TYPES = ["string", "number", "boolean", "semver", "instant"] as const;
export const ATTRIBUTE_CODES = ["iso3166"] as const;
/** Declarations one tenant may hold, beside the built-ins. */
export const MAX_ATTRIBUTES = 1000;

/**
 * A name or dotted path (`org.country`): segments of letters, digits and `_ - $ :`.
 * Narrower than what a context may hold, so that every declared name is plain in a
 * URL path and in a rule.
 */
export const ATTRIBUTE_NAME_PATTERN = /^[A-Za-z0-9_$:-]+(\.[A-Za-z0-9_$:-]+)*$/;

export const attributeNameSchema = z
  .string()
  .max(256)
  .regex(ATTRIBUTE_NAME_PATTERN, {
    error: "must be a name or dotted path (org.country) of letters, digits and _ - $ :, at most 256 characters",
  });

export const attributeTypeSchema = z.enum(ATTRIBUTE_TYPES);
export const attributeCodesSchema = z.enum(ATTRIBUTE_CODES);

const declarationFields = {
  type: attributeTypeSchema.optional().meta({ description: "Restricts the operators; absent: any operator may use it." }),
  list: z.boolean().default(false).meta({ description: "A context may hold a list of values (a dual national's nationalities)." }),
  codes: attributeCodesSchema.optional().meta({ description: "iso3166: every value a condition compares it with is an upper-case ISO 3166 code." }),
  description: descriptionSchema.optional(),
};

/** A declaration's own consistency: a code list compares strings. */
function checkCodes(declaration: { type?: string | undefined; codes?: string | undefined }, ctx: z.RefinementCtx): void {
  if (declaration.codes !== undefined && declaration.type !== undefined && declaration.type !== "string") {
    ctx.addIssue({ code: "custom", path: ["codes"], message: `ISO 3166 codes are strings: type must be "string" or absent, not "${declaration.type}"` });
  }
}

/** `POST /v1/attributes`. */
export const attributeCreateSchema = z
  .strictObject({ name: attributeNameSchema, ...declarationFields, ...auditFields })
  .superRefine(checkCodes);

/**
 * `PUT /v1/attributes/{name}`: the whole declaration. The name comes from the path
 * (a `name` in the body must equal it); a GET answer is a valid body (`builtIn` is
 * accepted and ignored).
 */
export const attributePutSchema = z
  .strictObject({
    name: attributeNameSchema.optional(),
    ...declarationFields,
    builtIn: z.boolean().optional().meta({ description: "Read-only: accepted so that a GET answer can be sent back." }),
    audit: answeredAuditSchema,
    ...auditFields,
  })
  .superRefine(checkCodes);

export type AttributeType = z.infer<typeof attributeTypeSchema>;
export type AttributeCodes = z.infer<typeof attributeCodesSchema>;
export type AttributeCreateInput = z.infer<typeof attributeCreateSchema>;
export type AttributePutInput = z.infer<typeof attributePutSchema>;
