import { z } from "zod";

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
