/**
 * Tenants, environments and API keys.
 */
import { z } from "zod";
import { ROLES } from "../keys/roles.js";
import { auditFields, directiveSchema, entityKeySchema, reasonSchema } from "./common.js";

export const tenantCreateSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
});

export const envCreateSchema = z.strictObject({
  key: entityKeySchema,
  ...auditFields,
});

export const keyCreateSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    role: z.enum(ROLES),
    env: entityKeySchema.optional(),
    ...auditFields,
  })
  .superRefine((key, ctx) => {
    if (key.role === "sdk" && key.env === undefined) {
      ctx.addIssue({ code: "custom", path: ["env"], message: "an sdk key is bound to one environment: give env" });
    }
    if (key.role !== "sdk" && key.env !== undefined) {
      ctx.addIssue({ code: "custom", path: ["env"], message: `only sdk keys are bound to an environment, not ${key.role} keys` });
    }
  });

/** Optional body of `DELETE /v1/keys/{id}`, of segments and of attributes. */
export const deleteSchema = z.strictObject({ ...auditFields });

/**
 * Body of `DELETE /v1/flags/{key}`, required: SDKs of every environment then serve
 * callers' defaults for the flag, which may lift a block, so the audit log says why.
 */
export const flagDeleteSchema = z.strictObject({ reason: reasonSchema, directive: directiveSchema.optional() });

export type TenantCreateInput = z.infer<typeof tenantCreateSchema>;
export type EnvCreateInput = z.infer<typeof envCreateSchema>;
export type KeyCreateInput = z.infer<typeof keyCreateSchema>;
export type DeleteInput = z.infer<typeof deleteSchema>;
export type FlagDeleteInput = z.infer<typeof flagDeleteSchema>;
