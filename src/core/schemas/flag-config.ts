/**
 * `PUT /v1/envs/{env}/flags/{key}`: a flag's whole config in one environment.
 * A GET answer plus a `reason` is a valid body: `version` is accepted and ignored.
 */
import { z } from "zod";
import { answeredAuditSchema } from "./audit.js";
import { directiveSchema, reasonSchema, variantNameSchema } from "./common.js";
import { ruleInputSchema } from "./rule.js";
import { serveSchema } from "./serve.js";

export const MAX_RULES = 500;
export const MIN_STALE_AFTER_MS = 1000;

export const failModeSchema = z.enum(["open", "closed"]);

export const staleAfterMsSchema = z
  .int()
  .min(MIN_STALE_AFTER_MS)
  .max(7 * 24 * 3600 * 1000);

export const flagConfigInputSchema = z
  .strictObject({
    enabled: z.boolean(),
    offVariant: variantNameSchema,
    rules: z.array(ruleInputSchema).max(MAX_RULES),
    fallthrough: serveSchema,
    failMode: failModeSchema.default("open"),
    staleAfterMs: staleAfterMsSchema.optional(),
    /** Read-only: accepted so that a GET answer can be sent back; compare with If-Match instead. */
    version: z.int().optional(),
    audit: answeredAuditSchema,
    /** Required: the config is what SDKs serve. */
    reason: reasonSchema,
    directive: directiveSchema.optional(),
  })
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.rules.forEach((rule, i) => {
      if (rule.id === undefined) return;
      const first = seen.get(rule.id);
      if (first !== undefined) {
        ctx.addIssue({ code: "custom", path: ["rules", i, "id"], message: `duplicate rule id "${rule.id}" (also rules[${first}])` });
      } else {
        seen.set(rule.id, i);
      }
    });
  });

export type FlagConfigInput = z.infer<typeof flagConfigInputSchema>;
