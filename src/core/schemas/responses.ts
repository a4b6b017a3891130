/**
 * The shapes the API answers with. They document the API (OpenAPI) and are checked
 * against the SDK's model types at compile time (model-compat.ts).
 */
import { z } from "zod";
import { ROLES } from "../keys/roles.js";
import { jsonValueSchema } from "./common.js";
import { attributeConditionSchema } from "./condition.js";
import { failModeSchema } from "./flag-config.js";
import { FLAG_KINDS } from "./flag.js";
import { ruleSchema } from "./rule.js";
import { serveSchema } from "./serve.js";

const isoTime = z.string().meta({ format: "date-time" });

export const tenantSchema = z.object({ id: z.string(), name: z.string(), createdAt: isoTime });

export const tenantCreatedSchema = z.object({
  tenant: tenantSchema,
  adminKey: z.string().meta({ description: "The whole bearer token, shown once." }),
});

export const environmentSchema = z.object({ key: z.string(), version: z.int(), createdAt: isoTime });

export const apiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  env: z.string().nullable(),
  prefix: z.string(),
  createdAt: isoTime,
  lastUsedAt: isoTime.nullable(),
});

export const keyCreatedSchema = z.object({
  key: apiKeySchema,
  secret: z.string().meta({ description: "The whole bearer token ks_<tenantId>_<secret>, shown once." }),
});

export const flagSchema = z.object({
  key: z.string(),
  kind: z.enum(FLAG_KINDS),
  variants: z.record(z.string(), jsonValueSchema),
  description: z.string().optional(),
  tags: z.array(z.string()),
  createdAt: isoTime,
  updatedAt: isoTime,
});

export const flagConfigSchema = z.object({
  enabled: z.boolean(),
  offVariant: z.string(),
  rules: z.array(ruleSchema),
  fallthrough: serveSchema,
  failMode: failModeSchema,
  staleAfterMs: z.int().optional(),
  version: z.int(),
});

export const wireFlagSchema = flagConfigSchema.extend({
  key: z.string(),
  kind: z.enum(FLAG_KINDS),
  variants: z.record(z.string(), jsonValueSchema),
});

export const segmentSchema = z.object({
  key: z.string(),
  description: z.string().optional(),
  include: z.array(z.string()),
  exclude: z.array(z.string()),
  rules: z.array(z.object({ when: z.array(attributeConditionSchema) })),
  version: z.int(),
});

export const snapshotSchema = z.object({
  version: z.int(),
  env: z.string(),
  flags: z.record(z.string(), wireFlagSchema),
  segments: z.record(z.string(), segmentSchema),
});

export const versionAnswerSchema = z.object({
  version: z.int().meta({ description: "The environment's new version." }),
  ruleId: z.string().optional(),
});

export const auditEntrySchema = z.object({
  seq: z.int(),
  at: isoTime,
  actor: z.object({ keyId: z.string().nullable(), name: z.string(), role: z.string() }),
  action: z.string(),
  entity: z.string(),
  key: z.string(),
  env: z.string().nullable(),
  before: jsonValueSchema.nullable(),
  after: jsonValueSchema.nullable(),
  reason: z.string().nullable(),
  directive: z.string().nullable(),
  prevHash: z.string(),
  hash: z.string(),
});

export const auditVerificationSchema = z.object({
  ok: z.boolean(),
  entries: z.int(),
  brokenAt: z.int().optional().meta({ description: "The seq of the first entry that fails the chain." }),
});

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string(), code: z.string() })).optional(),
});

export const healthSchema = z.object({ ok: z.literal(true) });

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().optional() });
}

export type TenantView = z.infer<typeof tenantSchema>;
export type EnvironmentView = z.infer<typeof environmentSchema>;
export type ApiKeyView = z.infer<typeof apiKeySchema>;
export type FlagView = z.infer<typeof flagSchema>;
export type FlagConfigView = z.infer<typeof flagConfigSchema>;
export type WireFlagView = z.infer<typeof wireFlagSchema>;
export type SegmentView = z.infer<typeof segmentSchema>;
export type SnapshotView = z.infer<typeof snapshotSchema>;
export type VersionAnswer = z.infer<typeof versionAnswerSchema>;
export type AuditEntryView = z.infer<typeof auditEntrySchema>;
export type AuditVerification = z.infer<typeof auditVerificationSchema>;

/** `GET /v1/envs/{env}/changes/{version}`; kept equal to core/propagation.ts's PropagationReceipt by model-compat.ts. */
export const propagationReceiptSchema = z.object({
  version: z.int(),
  committedAt: isoTime,
  connected: z.int().meta({ description: "Instances connected when the version was committed." }),
  acked: z.int().meta({ description: "How many of those have acked this version or a later one." }),
  pending: z.array(z.object({ instance: z.string(), app: z.string(), appliedVersion: z.int().nullable() })),
  latencyMs: z.object({ p50: z.number().nullable(), p99: z.number().nullable(), max: z.number().nullable() }),
  complete: z.boolean(),
});

/** `GET /v1/envs/{env}/instances`. */
export const instanceListSchema = z.object({
  items: z.array(
    z.object({
      instance: z.string(),
      app: z.string(),
      sdk: z.string(),
      connectedAt: isoTime,
      appliedVersion: z.int().nullable(),
      lastAckAt: isoTime.nullable(),
    }),
  ),
  total: z.int(),
});
