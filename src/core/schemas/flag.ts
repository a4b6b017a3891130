/**
 * Flag definitions (`POST /v1/flags`, `PATCH /v1/flags/{key}`): tenant-level,
 * shared by every environment.
 */
import { z } from "zod";
import type { FlagKind } from "@killswitch/sdk";
import { auditFields, descriptionSchema, entityKeySchema, jsonValueSchema, tagsSchema, variantNameSchema } from "./common.js";

export const FLAG_KINDS = ["boolean", "string", "number", "json"] as const satisfies readonly FlagKind[];
export const MAX_VARIANTS = 100;

export const variantsSchema = z
  .record(variantNameSchema, jsonValueSchema)
  .refine((variants) => Object.keys(variants).length > 0, { error: "a flag needs at least one variant" })
  .refine((variants) => Object.keys(variants).length <= MAX_VARIANTS, { error: `at most ${MAX_VARIANTS} variants` });

export type VariantsInput = z.infer<typeof variantsSchema>;

/** The variants a boolean flag gets when none are given. */
export const BOOLEAN_VARIANTS = { on: true, off: false } as const;

/** The variants whose value does not match the flag's kind, with a message each. */
export function variantKindProblems(kind: FlagKind, variants: Record<string, unknown>): { name: string; message: string }[] {
  const problems: { name: string; message: string }[] = [];
  for (const [name, value] of Object.entries(variants)) {
    const ok =
      kind === "json" ||
      (kind === "boolean" && typeof value === "boolean") ||
      (kind === "string" && typeof value === "string") ||
      (kind === "number" && typeof value === "number" && Number.isFinite(value));
    if (!ok) {
      const plural = kind === "boolean" ? "booleans" : `${kind}s`;
      problems.push({ name, message: `a ${kind} flag's variants must be ${plural}; ${JSON.stringify(value)} is not` });
    }
  }
  return problems;
}

export const flagCreateSchema = z
  .strictObject({
    key: entityKeySchema,
    kind: z.enum(FLAG_KINDS),
    variants: variantsSchema.optional(),
    description: descriptionSchema.optional(),
    tags: tagsSchema.optional(),
    ...auditFields,
  })
  .superRefine((flag, ctx) => {
    if (flag.variants === undefined) {
      if (flag.kind !== "boolean") {
        ctx.addIssue({ code: "custom", path: ["variants"], message: `a ${flag.kind} flag needs variants` });
      }
      return;
    }
    for (const { name, message } of variantKindProblems(flag.kind, flag.variants)) {
      ctx.addIssue({ code: "custom", path: ["variants", name], message });
    }
  });

export const flagPatchSchema = z
  .strictObject({
    variants: variantsSchema.optional(),
    description: descriptionSchema.nullable().optional(),
    tags: tagsSchema.optional(),
    ...auditFields,
  })
  .refine((patch) => patch.variants !== undefined || patch.description !== undefined || patch.tags !== undefined, {
    error: "nothing to change: give variants, description or tags",
  })
  .superRefine((patch, ctx) => {
    // Variants are what SDKs serve; description and tags never reach them.
    if (patch.variants !== undefined && patch.reason === undefined) {
      ctx.addIssue({ code: "custom", path: ["reason"], message: "required when variants change: say why (the audit log keeps it)" });
    }
  });

export type FlagCreateInput = z.infer<typeof flagCreateSchema>;
export type FlagPatchInput = z.infer<typeof flagPatchSchema>;
