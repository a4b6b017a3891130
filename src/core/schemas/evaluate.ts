/**
 * `POST /v1/envs/{env}/evaluate`: the operator's "why is this user blocked?".
 * The context is the SDK's (`key` plus any attributes); the answer explains every
 * rule of every flag asked about.
 */
import { z } from "zod";
import { OPERATORS } from "@killswitch/sdk";
import { entityKeySchema, jsonValueSchema } from "./common.js";

/** A context's JSON is at most this many bytes (UTF-8), here and in OFREP. */
export const MAX_CONTEXT_BYTES = 32 * 1024;
/** Flags one explain request may name. */
export const MAX_EXPLAIN_FLAGS = 500;

const encoder = new TextEncoder();

/** The size of a value's JSON in bytes. */
export const jsonBytes = (value: unknown): number => encoder.encode(JSON.stringify(value)).length;

/** An evaluation context: an object of attributes, bounded in size. */
export const contextSchema = z
  .record(z.string(), jsonValueSchema)
  .refine((context) => jsonBytes(context) <= MAX_CONTEXT_BYTES, {
    error: `the context's JSON must be at most ${MAX_CONTEXT_BYTES / 1024} KiB`,
  })
  .meta({
    description: "Attributes of the subject: `key` identifies it; values may be arrays or nested objects (read by dotted paths).",
    example: { key: "user-123", nationality: ["US", "FR"], employer: "acme" },
  });

export const evaluateRequestSchema = z.strictObject({
  context: contextSchema,
  /** Default: every flag of the environment. */
  flags: z.array(entityKeySchema).min(1).max(MAX_EXPLAIN_FLAGS).optional(),
});

export type EvaluateRequest = z.infer<typeof evaluateRequestSchema>;

const reasonSchema = z.enum(["STATIC", "DEFAULT", "TARGETING_MATCH", "SPLIT", "DISABLED", "CACHED", "STALE", "ERROR"]);
const errorCodeSchema = z.enum(["FLAG_NOT_FOUND", "TYPE_MISMATCH", "PARSE_ERROR", "GENERAL", "PROVIDER_NOT_READY"]);

/** What evaluation serves: the SDK's EvaluationResult. */
export const evaluationResultSchema = z.object({
  value: jsonValueSchema,
  variant: z.string().optional(),
  reason: reasonSchema,
  ruleId: z.string().optional(),
  errorCode: errorCodeSchema.optional(),
  errorMessage: z.string().optional(),
});

const explainedConditionSchema = z.union([
  z.object({ attribute: z.string(), op: z.enum(OPERATORS), values: z.array(z.union([z.string(), z.number(), z.boolean()])).optional() }),
  z.object({ segment: z.array(z.string()), negate: z.boolean().optional() }),
]);

export const ruleExplanationSchema = z.object({
  id: z.string(),
  matched: z.boolean(),
  failedCondition: z
    .object({ index: z.int(), condition: explainedConditionSchema, detail: z.string() })
    .optional()
    .meta({ description: "The first condition that does not hold, when the rule did not match." }),
  segments: z
    .record(z.string(), z.string())
    .optional()
    .meta({ description: 'Membership per segment the rule names: "included", "excluded", "rule <n>" or "none".' }),
});

export const flagExplanationSchema = z.object({
  flag: z.string(),
  result: evaluationResultSchema,
  enabled: z.boolean(),
  rules: z.array(ruleExplanationSchema).meta({ description: "Every rule in order, including those after the one that served." }),
  fallthrough: z.boolean().meta({ description: "True when no rule matched and the fallthrough served." }),
});

export const evaluateResponseSchema = z.object({
  env: z.string(),
  version: z.int().meta({ description: "The environment version the flags were evaluated at." }),
  flags: z.array(flagExplanationSchema),
});

export type FlagExplanationView = z.infer<typeof flagExplanationSchema>;
export type EvaluateResponse = z.infer<typeof evaluateResponseSchema>;
