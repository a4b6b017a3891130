/**
 * The shapes the API answers with. They document the API (OpenAPI) and are checked
 * against the SDK's model types at compile time (model-compat.ts).
 */
import { z } from "zod";
import { ROLES } from "../keys/roles.js";
import { scheduleSchema } from "./schedule.js";
import { attributeCodesSchema, attributeTypeSchema } from "./attribute.js";
import { directiveStatusSchema } from "./directive.js";
import { jsonValueSchema } from "./common.js";
import { attributeConditionSchema, conditionSchema } from "./condition.js";
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

export const attributeSchema = z.object({
  name: z.string(),
  type: attributeTypeSchema.optional(),
  list: z.boolean(),
  codes: attributeCodesSchema.optional(),
  description: z.string().optional(),
  builtIn: z.boolean().meta({ description: "Every tenant has it; it cannot be changed or deleted." }),
});

export const snapshotSchema = z.object({
  sig: z.record(z.string(), z.string()).meta({
    description:
      "Always first. Public key (base64url) → Ed25519 signature (base64url) of the rest of the body: its bytes after the first `}`, with the comma that follows it replaced by `{` (docs/signing.md).",
  }),
  version: z.int(),
  env: z.string(),
  epoch: z.string().meta({ description: "The environment's epoch (docs/signing.md): versions only move forward within one." }),
  tenant: z.string(),
  flags: z.record(z.string(), wireFlagSchema),
  segments: z.record(z.string(), segmentSchema),
});

/** One public key of an environment, as `GET /v1/envs/{env}/signing-key` answers it. */
export const signingKeySchema = z.object({
  key: z.string().meta({ description: "The raw 32-byte Ed25519 public key in base64url: the SDK's `publicKey`, and the key of `sig` in frames." }),
  n: z.int().meta({ description: "Its generation: 1 for the environment's first key, one more per rotation." }),
  status: z.enum(["current", "previous"]),
  createdAt: isoTime,
  retiresAt: isoTime.optional().meta({ description: "A previous key: when it stops signing (the end of the overlap)." }),
});

export const signingKeysSchema = z.object({
  env: z.string(),
  epoch: z.string(),
  algorithm: z.literal("Ed25519"),
  keys: z.array(signingKeySchema).meta({ description: "The keys that sign now: the current one first, and the previous one during an overlap." }),
});

export const epochAnswerSchema = z.object({
  env: z.string(),
  epoch: z.string().meta({ description: "The new epoch." }),
  version: z.int().meta({ description: "The environment's version, unchanged." }),
});

export const versionAnswerSchema = z.object({
  version: z.int().meta({ description: "The environment's new version." }),
  ruleId: z.string().optional(),
  schedule: scheduleSchema.optional().meta({ description: "Given until: the entry that lifts the change then." }),
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

/** One entry of a tenant's audit chain, named by its seq and hash: a checkpoint. */
export const auditRefSchema = z.object({ seq: z.int(), hash: z.string() });

export const auditHeadSchema = auditRefSchema.extend({
  at: isoTime.nullable().meta({ description: "When the newest entry was written; null for an empty chain (seq 0)." }),
});

/** What every write adds to its answer: the chain's new head, to keep outside the database. */
export const writeCheckpointSchema = z.object({
  audit: auditRefSchema.meta({ description: "The audit entry this write appended: the chain's new head." }),
});

export const auditVerificationSchema = z.object({
  ok: z.boolean().meta({ description: "No break, and the checkpoint (if given) is still held." }),
  entries: z.int(),
  breaks: z.array(z.int()).meta({ description: "The seq of every entry that fails the chain, oldest first (the first 100)." }),
  brokenAt: z.int().optional().meta({ description: "The seq of the first entry that fails the chain." }),
  missing: z.int().optional().meta({
    description: "The checkpoint's seq, when the chain no longer holds that entry with that hash (truncated, or rewritten from there).",
  }),
});

export const receiptStatusSchema = z.enum(["complete", "pending", "no-instances"]);

export const propagationReceiptSchema = z.object({
  version: z.int(),
  committedAt: isoTime,
  connected: z.int().meta({ description: "Instances connected when the version was committed." }),
  acked: z.int().meta({ description: "How many of those have acked this version or a later one." }),
  pending: z
    .array(z.object({ instance: z.string(), app: z.string(), appliedVersion: z.int().nullable() }))
    .meta({ description: "Instances connected at commit time, still connected, that have not acked it yet." }),
  latencyMs: z
    .object({ p50: z.number().nullable(), p99: z.number().nullable(), max: z.number().nullable() })
    .meta({ description: "Ack time − commit time over the acked instances, in milliseconds." }),
  status: receiptStatusSchema.meta({
    description:
      "complete: at least one instance was connected at commit and none is pending; pending: some instance has not applied it (or a node has not reported yet); no-instances: none was connected at commit.",
  }),
  complete: z.boolean().meta({ description: 'True only for status "complete": an empty fleet is never reported as reached.' }),
  audit: auditRefSchema.optional().meta({ description: "The audit entry of the change that made this version." }),
  final: z.boolean().optional().meta({
    description:
      "true: the receipt as saved once final (complete, nobody connected at commit, 10 minutes after the commit, or at shutdown); it will not change, and it survives restarts. false: counted live, still moving.",
  }),
  savedAt: isoTime.optional().meta({ description: "When a final receipt was saved." }),
  savedBecause: z.enum(["complete", "no-instances", "timeout", "shutdown"]).optional().meta({ description: "Why a final receipt was saved when it was." }),
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
export type SigningKeysView = z.infer<typeof signingKeysSchema>;
export type EpochAnswer = z.infer<typeof epochAnswerSchema>;
export type AttributeView = z.infer<typeof attributeSchema>;
export type VersionAnswer = z.infer<typeof versionAnswerSchema>;
export type AuditEntryView = z.infer<typeof auditEntrySchema>;
export type AuditVerification = z.infer<typeof auditVerificationSchema>;
export type AuditRef = z.infer<typeof auditRefSchema>;
export type AuditHeadView = z.infer<typeof auditHeadSchema>;
export type ReceiptStatus = z.infer<typeof receiptStatusSchema>;
export type PropagationReceipt = z.infer<typeof propagationReceiptSchema>;

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

/** `GET /v1/directives/{ref}`: a recorded directive, or a ref that writes carry without a record (`unrecorded`). */
export const directiveViewSchema = z.object({
  ref: z.string(),
  status: directiveStatusSchema.meta({
    description:
      "open: recorded, no change carries it yet; in-effect: a change of a flag, config or segment carries it; lifted: lifted with POST …/lift; unrecorded: changes carry it, but nobody recorded it.",
  }),
  title: z.string().nullable(),
  issuer: z.string().nullable(),
  receivedAt: isoTime.nullable(),
  deadline: isoTime.nullable(),
  summary: z.string().nullable(),
  createdAt: isoTime.nullable(),
  updatedAt: isoTime.nullable(),
  changes: z.int().meta({ description: "Changes of flags, configs and segments that carry the ref." }),
  inEffectSince: isoTime.nullable().meta({ description: "When the first such change was committed." }),
  lastChangeAt: isoTime.nullable(),
  lifted: z
    .object({ at: isoTime, reason: z.string(), by: z.string().meta({ description: "The name of the key that lifted it." }) })
    .nullable(),
});

export type DirectiveView = z.infer<typeof directiveViewSchema>;

const actorSchema = z.object({ keyId: z.string().nullable(), name: z.string(), role: z.string() });

/** One audit entry as the answer to "who changed it, when, and why". */
export const changeRefSchema = z.object({
  at: isoTime,
  actor: actorSchema,
  action: z.string(),
  reason: z.string().nullable(),
  directive: z.string().nullable(),
  audit: auditRefSchema,
});

/** A segment a rule names, with its own rules in plain words. */
export const segmentInWordsSchema = z.object({
  key: z.string(),
  description: z.string().nullable(),
  text: z.array(z.string()).meta({
    description: "Who is in it, one way in per line: `except keys …` first (exclusion wins), then `keys …`, then each rule.",
  }),
});

export const ruleStateSchema = z.object({
  id: z.string(),
  text: z.string().meta({ description: 'The rule in plain words, e.g. "off for nationality not in US".' }),
  blocks: z.boolean().meta({ description: "It serves the flag's offVariant." }),
  when: z.array(conditionSchema),
  serve: serveSchema,
  description: z.string().nullable(),
  directive: z.string().nullable(),
  segments: z.array(segmentInWordsSchema).meta({ description: "The segments its conditions name, expanded." }),
});

export const flagStateSchema = z.object({
  key: z.string(),
  kind: z.enum(FLAG_KINDS),
  description: z.string().nullable(),
  state: z.enum(["on", "killed", "blocked"]).meta({
    description: "killed: enabled is false, everyone gets offVariant; blocked: some rule serves offVariant; on: neither.",
  }),
  enabled: z.boolean(),
  offVariant: z.string(),
  rules: z.array(ruleStateSchema),
  fallthrough: z.string().meta({ description: 'What serves when no rule matches, e.g. "otherwise on".' }),
  directive: z.string().nullable().meta({ description: "The directive behind what it serves: the kill's when killed, else the first blocking rule's." }),
  version: z.int(),
  lastChange: changeRefSchema.nullable().meta({ description: "The change that made the config's version." }),
});

export const blockViewSchema = z.object({
  flag: z.string(),
  kind: z.enum(["kill", "rule"]),
  ruleId: z.string().nullable(),
  text: z.string(),
  directive: z.string().nullable(),
  since: isoTime.nullable().meta({ description: "When the kill or the rule was made (null when the audit log no longer says)." }),
  by: actorSchema.nullable(),
  reason: z.string().nullable(),
  audit: auditRefSchema.nullable(),
  segments: z.array(segmentInWordsSchema),
});

export type ChangeRef = z.infer<typeof changeRefSchema>;
export type SegmentInWords = z.infer<typeof segmentInWordsSchema>;
export type RuleState = z.infer<typeof ruleStateSchema>;
export type FlagState = z.infer<typeof flagStateSchema>;
export type BlockView = z.infer<typeof blockViewSchema>;

/** A change's saved receipt, as the directive report shows it. */
export const reportReceiptSchema = z.object({
  connected: z.int(),
  acked: z.int(),
  latencyMs: z.object({ p50: z.number().nullable(), p99: z.number().nullable(), max: z.number().nullable() }),
  timeTo100Ms: z.number().nullable().meta({ description: "Commit to the last ack of an instance connected at commit, when complete." }),
  status: receiptStatusSchema,
  complete: z.boolean(),
  savedAt: isoTime,
  savedBecause: z.enum(["complete", "no-instances", "timeout", "shutdown"]),
  stragglers: z
    .array(z.object({ app: z.string(), instances: z.array(z.string()) }))
    .meta({ description: "The instances still pending when the receipt was saved, by app." }),
});

export const directiveReportSchema = z.object({
  directive: directiveViewSchema,
  asOf: isoTime.nullable().meta({
    description: "The time of the tenant's newest audit entry: the report is rebuilt from the database alone, so it changes only when the database does.",
  }),
  changes: z.array(
    z.object({
      at: isoTime,
      actor: actorSchema,
      action: z.string(),
      entity: z.string(),
      key: z.string(),
      flag: z.string().nullable(),
      env: z.string().nullable(),
      text: z.string().meta({ description: "The change in plain words." }),
      reason: z.string().nullable(),
      audit: auditRefSchema,
      versions: z.array(
        z.object({
          env: z.string(),
          version: z.int(),
          receipt: reportReceiptSchema.nullable().meta({ description: "Null until the receipt is final and saved." }),
        }),
      ),
    }),
  ),
  currentState: z
    .array(
      z.object({
        flag: z.string(),
        env: z.string(),
        kind: z.enum(["kill", "rule"]),
        ruleId: z.string().nullable(),
        text: z.string(),
        holds: z.boolean().meta({ description: "The kill or rule made under the directive is still in place." }),
      }),
    )
    .meta({ description: "Each kill and rule made under the directive, and whether it still holds." }),
  lifted: z.object({ at: isoTime, reason: z.string(), by: z.string() }).nullable(),
  audit: z.object({ verification: auditVerificationSchema, head: auditHeadSchema }),
  truncated: z.boolean().meta({ description: "More changes carry the ref than a report lists (2,000): the oldest are shown." }),
});

export type ReportReceipt = z.infer<typeof reportReceiptSchema>;
export type DirectiveReport = z.infer<typeof directiveReportSchema>;
