/**
 * Bodies of the signing routes: a key rotation and a new epoch. Both change what SDKs
 * accept, so both require a reason.
 */
import { z } from "zod";
import { directiveSchema, reasonSchema } from "./common.js";

/** The longest overlap a rotation may ask for: 30 days. */
export const MAX_OVERLAP_SECONDS = 2_592_000;

export const signingKeyRotateSchema = z.strictObject({
  reason: reasonSchema,
  directive: directiveSchema.optional(),
  overlapSeconds: z
    .int()
    .min(0)
    .max(MAX_OVERLAP_SECONDS)
    .optional()
    .meta({
      description:
        "How long the replaced key keeps signing beside the new one, so that SDKs pinned to it learn the new key (default 86400, a day; 0 stops it at once, as after a leak).",
    }),
});

export const epochResetSchema = z.strictObject({
  reason: reasonSchema,
  directive: directiveSchema.optional(),
});

export type SigningKeyRotateInput = z.infer<typeof signingKeyRotateSchema>;
export type EpochResetInput = z.infer<typeof epochResetSchema>;
