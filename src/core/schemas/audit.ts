import { z } from "zod";
import { directiveSchema, entityKeySchema } from "./common.js";
import { instantSchema } from "./directive.js";
import { pageQuerySchema } from "./paging.js";

/**
 * `GET /v1/audit/verify?seq=&hash=`: a checkpoint kept outside the database (the
 * `audit` of a write's answer, or `GET /v1/audit/head`). Both or neither.
 */
export const auditVerifyQuerySchema = z
  .object({
    seq: z.coerce.number().int().min(1).optional(),
    hash: z
      .string()
      .regex(/^[0-9a-f]{64}$/, "expected 64 lowercase hex digits, as a checkpoint's hash")
      .optional(),
  })
  .strict()
  .refine((query) => (query.seq === undefined) === (query.hash === undefined), {
    message: "give both seq and hash of the checkpoint, or neither",
    path: ["hash"],
  });

export type AuditVerifyQuery = z.infer<typeof auditVerifyQuerySchema>;

/**
 * Read-only in a PUT body: a write's answer carries the audit entry it appended,
 * and that answer plus a `reason` is a valid body, so the field is accepted and ignored.
 */
export const answeredAuditSchema = z
  .strictObject({ seq: z.int().min(0), hash: z.string().max(64) })
  .optional()
  .meta({ description: "Read-only: the audit entry of the write that answered this body; ignored." });

/** `GET /v1/audit`: the page, and filters that all must hold. */
export const auditListQuerySchema = pageQuerySchema
  .extend({
    flag: entityKeySchema.optional().meta({ description: "Entries about this flag: its definition, and its config in any environment" }),
    env: entityKeySchema.optional().meta({ description: "Entries about this environment" }),
    actor: z.string().min(1).max(200).optional().meta({ description: "The acting key's id (key_…) or name" }),
    directive: directiveSchema.optional().meta({ description: "Entries carrying this directive ref" }),
    action: z
      .string()
      .regex(/^[a-z]+(\.[a-z-]+)+$/, "expected an action such as flag.kill or directive.lift")
      .optional()
      .meta({ description: "One action, e.g. flag.block" }),
    since: instantSchema.optional().meta({ description: "Entries at or after this instant (ISO 8601)" }),
    until: instantSchema.optional().meta({ description: "Entries before this instant (ISO 8601)" }),
  })
  .refine((query) => query.since === undefined || query.until === undefined || query.since < query.until, {
    message: "until must be later than since",
    path: ["until"],
  });

export type AuditListQuery = z.infer<typeof auditListQuerySchema>;
