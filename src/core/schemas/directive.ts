/**
 * Directives as records: an order an operator received (`ref`, the reference
 * every write can already carry as `directive`), what it says, and whether it
 * still holds.
 */
import { z } from "zod";
import { directiveSchema, reasonSchema } from "./common.js";
import { pageQuerySchema } from "./paging.js";

/** An ISO 8601 instant with a time zone, read as epoch milliseconds. */
export const instantSchema = z.iso
  .datetime({ offset: true, error: "expected an ISO 8601 instant with a time zone, such as 2026-11-27T17:21:00Z" })
  .transform((text) => Date.parse(text))
  .meta({ format: "date-time" });

const titleSchema = z.string().trim().min(1, { error: "must not be empty" }).max(200);
const issuerSchema = z.string().trim().min(1, { error: "must not be empty" }).max(200);
const summarySchema = z.string().max(5000);

export const DIRECTIVE_STATUSES = ["open", "in-effect", "lifted", "unrecorded"] as const;
export const directiveStatusSchema = z.enum(DIRECTIVE_STATUSES);

export const directiveCreateSchema = z.strictObject({
  ref: directiveSchema.meta({ description: "The directive's reference, as writes carry it in `directive`." }),
  title: titleSchema,
  issuer: issuerSchema.optional(),
  receivedAt: instantSchema,
  deadline: instantSchema.optional(),
  summary: summarySchema.optional(),
  reason: reasonSchema.optional(),
});

export const directivePatchSchema = z
  .strictObject({
    title: titleSchema.optional(),
    issuer: issuerSchema.nullable().optional(),
    receivedAt: instantSchema.optional(),
    deadline: instantSchema.nullable().optional(),
    summary: summarySchema.nullable().optional(),
    reason: reasonSchema.optional(),
  })
  .refine(
    (patch) => [patch.title, patch.issuer, patch.receivedAt, patch.deadline, patch.summary].some((field) => field !== undefined),
    { error: "nothing to change: give title, issuer, receivedAt, deadline or summary" },
  );

/** `POST /v1/directives/{ref}/lift` and `DELETE /v1/directives/{ref}`: the audit log keeps why. */
export const directiveLiftSchema = z.strictObject({ reason: reasonSchema });
export const directiveDeleteSchema = directiveLiftSchema;

export const directiveListQuerySchema = pageQuerySchema.extend({
  status: directiveStatusSchema.optional().meta({ description: "Only directives with this status" }),
});

export type DirectiveStatus = z.infer<typeof directiveStatusSchema>;
export type DirectiveCreateInput = z.infer<typeof directiveCreateSchema>;
export type DirectivePatchInput = z.infer<typeof directivePatchSchema>;
export type DirectiveLiftInput = z.infer<typeof directiveLiftSchema>;
export type DirectiveListQuery = z.infer<typeof directiveListQuerySchema>;
