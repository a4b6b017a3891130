import { z } from "zod";
import { descriptionSchema, directiveSchema, ruleIdSchema } from "./common.js";
import { conditionSchema } from "./condition.js";
import { serveSchema } from "./serve.js";

export const MAX_CONDITIONS_PER_RULE = 50;

/** A rule as written: the server assigns an `id` when it is missing. */
export const ruleInputSchema = z.strictObject({
  id: ruleIdSchema.optional(),
  description: descriptionSchema.optional(),
  directive: directiveSchema.optional(),
  when: z.array(conditionSchema).max(MAX_CONDITIONS_PER_RULE),
  serve: serveSchema,
});

/** A stored rule: always has an id. */
export const ruleSchema = ruleInputSchema.extend({ id: ruleIdSchema });

export type RuleInput = z.infer<typeof ruleInputSchema>;
