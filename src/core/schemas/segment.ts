/**
 * `PUT /v1/envs/{env}/segments/{key}`. The key comes from the path; a `key` in the
 * body must equal it. A GET answer plus a `reason` is a valid body (`version` is ignored).
 */
import { z } from "zod";
import { answeredAuditSchema } from "./audit.js";
import { descriptionSchema, directiveSchema, entityKeySchema, reasonSchema } from "./common.js";
import { attributeConditionSchema } from "./condition.js";
import { MAX_CONDITIONS_PER_RULE } from "./rule.js";

export const MAX_SEGMENT_KEYS = 10_000;

const contextKeysSchema = z.array(z.string().min(1).max(256)).max(MAX_SEGMENT_KEYS);

export const segmentRuleSchema = z.strictObject({
  when: z.array(attributeConditionSchema).min(1).max(MAX_CONDITIONS_PER_RULE),
});

export const segmentInputSchema = z.strictObject({
  key: entityKeySchema.optional(),
  description: descriptionSchema.optional(),
  include: contextKeysSchema.default([]),
  exclude: contextKeysSchema.default([]),
  rules: z.array(segmentRuleSchema).max(100).default([]),
  version: z.int().optional(),
  audit: answeredAuditSchema,
  /** Required: flags that name the segment serve by it. */
  reason: reasonSchema,
  directive: directiveSchema.optional(),
});

export type SegmentInput = z.infer<typeof segmentInputSchema>;
