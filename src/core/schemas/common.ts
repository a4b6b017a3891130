/**
 * Building blocks shared by the input schemas: key grammars, bounded strings.
 */
import { z } from "zod";

/** Flag, segment and environment keys. */
export const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Variant names start with a letter or `_`, so no name looks like an integer:
 * JavaScript moves integer-like object keys first, which would reorder variants.
 */
export const VARIANT_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/** Rule ids: short, URL-safe (they appear in `DELETE .../rules/{ruleId}`). */
export const RULE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const entityKeySchema = z
  .string()
  .regex(KEY_PATTERN, { error: "must be 1–128 characters of A–Z a–z 0–9 . _ - and start with a letter or digit" });

export const variantNameSchema = z
  .string()
  .regex(VARIANT_NAME_PATTERN, {
    error: "must be 1–64 characters of A–Z a–z 0–9 _ . - and start with a letter or _",
  });

export const ruleIdSchema = z
  .string()
  .regex(RULE_ID_PATTERN, { error: "must be 1–64 characters of A–Z a–z 0–9 . _ - and start with a letter or digit" });

/** Why: kept in the audit log; required on every write that changes what SDKs serve. */
export const reasonSchema = z
  .string({ error: (issue) => (issue.input === undefined ? "required: say why (the audit log keeps it)" : undefined) })
  .trim()
  .min(1, { error: "must not be empty" })
  .max(1000);
export const directiveSchema = z.string().trim().min(1, { error: "must not be empty" }).max(200);
export const descriptionSchema = z.string().max(1000);
export const tagsSchema = z.array(z.string().min(1).max(64)).max(50);

/** A dotted attribute path: `nationality`, `org.country`. */
export const attributePathSchema = z
  .string()
  .max(256)
  .regex(/^[^.]+(\.[^.]+)*$/, { error: "must be a non-empty attribute name or dotted path (org.country)" });

/** Optional audit fields every mutation body may carry. */
export const auditFields = {
  reason: reasonSchema.optional(),
  directive: directiveSchema.optional(),
};

/** Any JSON value; one instance, so that OpenAPI names it once. */
export const jsonValueSchema = z.json();
