/**
 * OFREP, the OpenFeature Remote Evaluation Protocol
 * (https://github.com/open-feature/protocol, service/openapi.yaml): the requests
 * it sends and the shapes it answers with, including its own error bodies
 * `{key, errorCode, errorDetails}` (never problem JSON). docs/ofrep.md says what
 * the protocol leaves open and how Killswitch settles it.
 */
import { z } from "zod";
import { jsonValueSchema } from "./common.js";

/**
 * An OFREP request body. Deliberately lenient beyond `context` being an object:
 * unknown fields are ignored (other providers may send more), and a `targetingKey`
 * of the wrong type is passed to the evaluator, which treats it as missing.
 */
export const ofrepRequestSchema = z.looseObject({
  context: z
    .looseObject({
      targetingKey: z.unknown().optional().meta({ type: "string", description: "Becomes the context's `key`." }),
    })
    .meta({ example: { targetingKey: "user-123", nationality: "US", employer: "acme" } }),
});

export type OfrepRequest = z.infer<typeof ofrepRequestSchema>;

/**
 * The query parameters OFREP defines: change-event metadata a provider echoes on
 * a re-fetch (OFREP ADR 0008). Accepted and ignored (every request is evaluated
 * afresh); any other parameter is a 400.
 */
export const ofrepQuerySchema = z.strictObject({
  flagConfigEtag: z.string().max(1024).optional(),
  flagConfigLastModified: z.string().max(256).optional(),
});

/** OpenFeature error codes OFREP answers with. */
export const OFREP_ERROR_CODES = ["PARSE_ERROR", "TARGETING_KEY_MISSING", "INVALID_CONTEXT", "GENERAL", "FLAG_NOT_FOUND"] as const;
export type OfrepErrorCode = (typeof OFREP_ERROR_CODES)[number];

const metadataSchema = z.record(z.string(), z.union([z.boolean(), z.string(), z.number()]));

export const ofrepSuccessSchema = z.object({
  key: z.string(),
  value: jsonValueSchema,
  reason: z.string().meta({
    description: "An OpenFeature reason: STATIC, DEFAULT, TARGETING_MATCH, SPLIT or DISABLED.",
  }),
  variant: z.string(),
  metadata: metadataSchema.optional().meta({ description: "`version`: the version of the flag's config; `ruleId`: the rule that matched." }),
});

/** A failed evaluation of one flag: the whole answer of the single-flag route, or an item of a bulk answer. */
export const ofrepFailureSchema = z.object({
  key: z.string(),
  errorCode: z.enum(OFREP_ERROR_CODES),
  errorDetails: z.string().optional(),
});

/** A bulk request that failed as a whole (400, 401, 403). */
export const ofrepBulkFailureSchema = z.object({
  errorCode: z.enum(OFREP_ERROR_CODES),
  errorDetails: z.string().optional(),
});

export const ofrepBulkSuccessSchema = z.object({
  flags: z.array(z.union([ofrepSuccessSchema, ofrepFailureSchema])),
  metadata: metadataSchema.optional().meta({ description: "`version`: the environment version evaluated." }),
});

export type OfrepSuccess = z.infer<typeof ofrepSuccessSchema>;
export type OfrepFailure = z.infer<typeof ofrepFailureSchema>;
export type OfrepBulkFailure = z.infer<typeof ofrepBulkFailureSchema>;
export type OfrepBulkSuccess = z.infer<typeof ofrepBulkSuccessSchema>;
