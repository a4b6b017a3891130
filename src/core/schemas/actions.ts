/**
 * The operator's directive actions: kill, restore, block, and removing a rule.
 * Each needs a reason, because each lands in the audit log as evidence.
 */
import { z } from "zod";
import { descriptionSchema, directiveSchema, entityKeySchema, reasonSchema } from "./common.js";
import { conditionSchema } from "./condition.js";
import { MAX_CONDITIONS_PER_RULE } from "./rule.js";
import { atField, untilField } from "./schedule.js";

/** A kill; `until` lifts it then, `at` makes it later. */
export const killSchema = z.strictObject({
  reason: reasonSchema,
  directive: directiveSchema.optional(),
  at: atField.optional(),
  until: untilField.optional(),
});

/** A restore or a rule removal; `at` makes it later. */
export const restoreSchema = z.strictObject({
  reason: reasonSchema,
  directive: directiveSchema.optional(),
  at: atField.optional(),
});
export const ruleRemovalSchema = restoreSchema;

export const blockSchema = z
  .strictObject({
    reason: reasonSchema,
    directive: directiveSchema.optional(),
    /** The rule's description; the reason when absent. */
    description: descriptionSchema.optional(),
    segment: z.union([entityKeySchema, z.array(entityKeySchema).min(1).max(50)]).optional(),
    when: z.array(conditionSchema).min(1).max(MAX_CONDITIONS_PER_RULE).optional(),
    at: atField.optional(),
    until: untilField.optional(),
  })
  .superRefine((block, ctx) => {
    if ((block.segment === undefined) === (block.when === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: "give either segment (a segment key or a list) or when (a list of conditions), not both",
      });
    }
  });

export type KillInput = z.infer<typeof killSchema>;
export type RestoreInput = z.infer<typeof restoreSchema>;
export type BlockInput = z.infer<typeof blockSchema>;
