/**
 * What a rule or the fallthrough serves: one variant, or a rollout over variants.
 */
import { z } from "zod";
import { attributePathSchema, variantNameSchema } from "./common.js";

/** A rollout's weights sum to this many buckets. */
export const ROLLOUT_BUCKETS = 100_000;

export const rolloutSchema = z
  .strictObject({
    bucketBy: attributePathSchema.optional(),
    salt: z.string().max(128).optional(),
    weights: z.record(variantNameSchema, z.int().min(0).max(ROLLOUT_BUCKETS)),
  })
  .superRefine((rollout, ctx) => {
    const total = Object.values(rollout.weights).reduce((sum, weight) => sum + weight, 0);
    if (total !== ROLLOUT_BUCKETS) {
      ctx.addIssue({
        code: "custom",
        path: ["weights"],
        message: `weights must sum to ${ROLLOUT_BUCKETS} (100 %), not ${total}`,
      });
    }
  });

export const serveSchema = z.union([
  z.strictObject({ variant: variantNameSchema }),
  z.strictObject({ rollout: rolloutSchema }),
]);

export type ServeInput = z.infer<typeof serveSchema>;
