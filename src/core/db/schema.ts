/**
 * The one SQLite schema, shared by every host: libsql on Node, drizzle's
 * durable-sqlite in a Durable Object. drizzle-kit generates `migrations/` from it.
 *
 * Every table carries `tenant_id` as the first column of its primary key, and every
 * query filters on it. JSON columns hold the rule model as the API and the wire
 * carry it; timestamps are milliseconds since the epoch.
 */
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { FlagKind, JsonValue, Rule, SegmentRule, Serve } from "@killswitch/sdk";
import type { AttributeCodes, AttributeType } from "../schemas/attribute.js";
import type { ScheduledAction, ScheduleParams, ScheduleStatus } from "../schemas/schedule.js";
import type { DeliveryAttempt, DeliveryStatus, WebhookEventType } from "../schemas/webhook.js";

export const tenants = sqliteTable("tenants", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: integer("created_at").notNull(),
});

/**
 * `version` is the environment's one counter: every change SDKs receive bumps it.
 * `epoch` names the run of versions SDKs may compare (src/core/signing/epoch.ts): new
 * with the environment and after a restore (`POST /v1/envs/{env}/epoch`); null only
 * on a row older than the column that migration 0004 has not filled.
 */
export const environments = sqliteTable(
  "environments",
  {
    tenantId: text("tenant_id").notNull(),
    key: text("key").notNull(),
    version: integer("version").notNull(),
    createdAt: integer("created_at").notNull(),
    epoch: text("epoch"),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.key] })],
);

/** Only a hash of the secret is kept; `prefix` (its first characters) finds the row. */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    tenantId: text("tenant_id").notNull(),
    id: text("id").notNull(),
    name: text("name").notNull(),
    role: text("role").notNull(),
    env: text("env"),
    prefix: text("prefix").notNull(),
    secretHash: text("secret_hash").notNull(),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at"),
    revokedAt: integer("revoked_at"),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), index("api_keys_prefix").on(t.tenantId, t.prefix)],
);

/** A flag's definition, shared by all environments of its tenant. */
export const flags = sqliteTable(
  "flags",
  {
    tenantId: text("tenant_id").notNull(),
    key: text("key").notNull(),
    kind: text("kind").$type<FlagKind>().notNull(),
    /** Variant name → value, in creation order (names never look like integers). */
    variants: text("variants", { mode: "json" }).$type<Record<string, JsonValue>>().notNull(),
    description: text("description"),
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.key] })],
);

/** A flag's configuration in one environment; `version` is the env version of its last change. */
export const flagConfigs = sqliteTable(
  "flag_configs",
  {
    tenantId: text("tenant_id").notNull(),
    env: text("env").notNull(),
    flagKey: text("flag_key").notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    offVariant: text("off_variant").notNull(),
    rules: text("rules", { mode: "json" }).$type<Rule[]>().notNull(),
    fallthrough: text("fallthrough", { mode: "json" }).$type<Serve>().notNull(),
    failMode: text("fail_mode").$type<"open" | "closed">().notNull(),
    staleAfterMs: integer("stale_after_ms"),
    version: integer("version").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.env, t.flagKey] })],
);

export const segments = sqliteTable(
  "segments",
  {
    tenantId: text("tenant_id").notNull(),
    env: text("env").notNull(),
    key: text("key").notNull(),
    description: text("description"),
    include: text("include", { mode: "json" }).$type<string[]>().notNull(),
    exclude: text("exclude", { mode: "json" }).$type<string[]>().notNull(),
    rules: text("rules", { mode: "json" }).$type<SegmentRule[]>().notNull(),
    version: integer("version").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.env, t.key] })],
);

/**
 * A tenant's declared context attributes: a rule may only name one of these or a
 * built-in (src/core/attributes/builtin.ts, never stored). `type` null: any operator.
 */
export const attributes = sqliteTable(
  "attributes",
  {
    tenantId: text("tenant_id").notNull(),
    name: text("name").notNull(),
    type: text("type").$type<AttributeType>(),
    list: integer("list", { mode: "boolean" }).notNull(),
    codes: text("codes").$type<AttributeCodes>(),
    description: text("description"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.name] })],
);

/**
 * One row per committed environment version. The primary key is the write path's
 * concurrency check: a second writer of the same version fails its whole batch.
 * `payload` is the entity as SDKs receive it (WireFlag or Segment), null when removed.
 * `audit_seq`/`audit_hash` name the audit entry of the same commit, which patches
 * and receipts carry (null on rows written before they existed).
 */
export const changeLog = sqliteTable(
  "change_log",
  {
    tenantId: text("tenant_id").notNull(),
    env: text("env").notNull(),
    version: integer("version").notNull(),
    entity: text("entity").$type<"flag" | "segment">().notNull(),
    key: text("key").notNull(),
    payload: text("payload"),
    committedAt: integer("committed_at").notNull(),
    auditSeq: integer("audit_seq"),
    auditHash: text("audit_hash"),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.env, t.version] }),
    // The versions an audit entry made: a directive's changes, and the operator events replayed after a restart.
    index("change_log_audit_seq").on(t.tenantId, t.auditSeq),
  ],
);

/**
 * Append-only, hash-chained per tenant. `(tenant_id, seq)` serializes every
 * mutation of a tenant, including those that bump no environment version.
 * `before` and `after` are canonical JSON text, exactly as hashed.
 */
export const auditLog = sqliteTable(
  "audit_log",
  {
    tenantId: text("tenant_id").notNull(),
    seq: integer("seq").notNull(),
    at: integer("at").notNull(),
    actorKeyId: text("actor_key_id"),
    actorName: text("actor_name").notNull(),
    actorRole: text("actor_role").notNull(),
    action: text("action").notNull(),
    entity: text("entity").notNull(),
    entityKey: text("entity_key").notNull(),
    env: text("env"),
    before: text("before"),
    after: text("after"),
    reason: text("reason"),
    directive: text("directive"),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.seq] }),
    // The audit filters, a directive's changes, and a flag's history (blocks: since when, by whom).
    index("audit_log_directive").on(t.tenantId, t.directive),
    index("audit_log_entity_key").on(t.tenantId, t.entityKey),
  ],
);

/**
 * A directive an operator received and carries out, recorded under its `ref`
 * (the free-text reference writes already carry as `directive`). Its status is
 * derived: `lifted` once `lifted_at` is set, else `in-effect` once a change of
 * a flag, config or segment carries the ref in the audit log, else `open`.
 */
export const directives = sqliteTable(
  "directives",
  {
    tenantId: text("tenant_id").notNull(),
    ref: text("ref").notNull(),
    title: text("title").notNull(),
    issuer: text("issuer"),
    receivedAt: integer("received_at").notNull(),
    deadline: integer("deadline"),
    summary: text("summary"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    liftedAt: integer("lifted_at"),
    liftReason: text("lift_reason"),
    /** The name of the key that lifted it, as the audit log records actors. */
    liftedBy: text("lifted_by"),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.ref] })],
);

/**
 * A change's propagation receipt as saved once it was final: complete, ten
 * minutes after the commit, or at shutdown. `body` is the receipt JSON as the
 * API answers it (pending instances included); `status` repeats its status so
 * that a saved complete receipt is never replaced by a later, poorer one.
 */
export const receipts = sqliteTable(
  "receipts",
  {
    tenantId: text("tenant_id").notNull(),
    env: text("env").notNull(),
    version: integer("version").notNull(),
    committedAt: integer("committed_at").notNull(),
    savedAt: integer("saved_at").notNull(),
    status: text("status").notNull(),
    body: text("body").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.env, t.version] })],
);

/**
 * A change of one flag config scheduled for `at`: a kill, restore, block or rule
 * removal given `at`, or the lift of a kill or block given `until`. The host's
 * scheduler (src/core/schedule/) applies it once: it claims the row
 * (`claim_token`, `claimed_until`) and commits the change together with the
 * row's new status, so several Node processes on one database apply it once.
 */
export const scheduledChanges = sqliteTable(
  "scheduled_changes",
  {
    tenantId: text("tenant_id").notNull(),
    id: text("id").notNull(),
    env: text("env").notNull(),
    flagKey: text("flag_key").notNull(),
    action: text("action").$type<ScheduledAction>().notNull(),
    /** What the action needs: a block's rule, the rule to remove, a lift's origin (see ScheduleParams). */
    params: text("params", { mode: "json" }).$type<ScheduleParams>().notNull(),
    /** Due time, milliseconds since the epoch. */
    at: integer("at").notNull(),
    /** `at` (asked for later) or `until` (the lift of a change made now). */
    origin: text("origin").$type<"at" | "until">().notNull(),
    reason: text("reason").notNull(),
    directive: text("directive"),
    /** The key that scheduled it; the audit entry of the applied change names it. */
    createdByKeyId: text("created_by_key_id"),
    createdByName: text("created_by_name").notNull(),
    createdAt: integer("created_at").notNull(),
    status: text("status").$type<ScheduleStatus>().notNull(),
    claimToken: text("claim_token"),
    claimedUntil: integer("claimed_until"),
    /** When it was applied or skipped (the real time, however late). */
    doneAt: integer("done_at"),
    late: integer("late", { mode: "boolean" }),
    /** The environment version the applied change committed. */
    version: integer("version"),
    auditSeq: integer("audit_seq"),
    /** Why it was skipped, or why it was cancelled. */
    cause: text("cause"),
    /** Failed attempts (busy database): the scheduler waits longer after each. */
    failures: integer("failures").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), index("scheduled_changes_due").on(t.status, t.at), index("scheduled_changes_env").on(t.tenantId, t.env, t.at)],
);

/**
 * A tenant's webhook endpoint (Standard Webhooks). `secret` signs every delivery
 * and so is kept as is; after a rotation the previous one also signs until
 * `previous_secret_until`, so a receiver can switch without losing a delivery.
 */
export const webhooks = sqliteTable(
  "webhooks",
  {
    tenantId: text("tenant_id").notNull(),
    id: text("id").notNull(),
    url: text("url").notNull(),
    events: text("events", { mode: "json" }).$type<WebhookEventType[]>().notNull(),
    description: text("description"),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    secret: text("secret").notNull(),
    previousSecret: text("previous_secret"),
    previousSecretUntil: integer("previous_secret_until"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] })],
);

/**
 * One event, as every subscribed endpoint receives it: `payload` is the exact
 * body signed and sent, on every attempt. `id` is the `webhook-id` header.
 */
export const webhookEvents = sqliteTable(
  "webhook_events",
  {
    tenantId: text("tenant_id").notNull(),
    id: text("id").notNull(),
    type: text("type").$type<WebhookEventType>().notNull(),
    payload: text("payload").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] })],
);

/**
 * The outbox: one event to one endpoint, until it is delivered or given up.
 * Written in the same commit as the change it reports, so a change is never
 * committed without its deliveries. `attempts` keeps the recent attempts.
 */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    tenantId: text("tenant_id").notNull(),
    id: text("id").notNull(),
    webhookId: text("webhook_id").notNull(),
    eventId: text("event_id").notNull(),
    status: text("status").$type<DeliveryStatus>().notNull(),
    /** Attempts of the current round (a redelivery starts a new one). */
    attemptCount: integer("attempt_count").notNull(),
    attempts: text("attempts", { mode: "json" }).$type<DeliveryAttempt[]>().notNull(),
    /** When the next attempt is due; null once delivered or given up. */
    nextAt: integer("next_at"),
    claimToken: text("claim_token"),
    claimedUntil: integer("claimed_until"),
    createdAt: integer("created_at").notNull(),
    deliveredAt: integer("delivered_at"),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    uniqueIndex("webhook_deliveries_event").on(t.tenantId, t.webhookId, t.eventId),
    index("webhook_deliveries_due").on(t.status, t.nextAt),
    index("webhook_deliveries_webhook").on(t.tenantId, t.webhookId, t.createdAt),
  ],
);

/**
 * A committed version whose receipt an endpoint wants to hear about
 * (`change.complete`, `change.incomplete`): checked at `check_at` until it is
 * complete or 60 s have passed since the commit.
 */
export const receiptWatches = sqliteTable(
  "receipt_watches",
  {
    tenantId: text("tenant_id").notNull(),
    env: text("env").notNull(),
    version: integer("version").notNull(),
    committedAt: integer("committed_at").notNull(),
    checkAt: integer("check_at").notNull(),
    claimToken: text("claim_token"),
    claimedUntil: integer("claimed_until"),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.env, t.version] }), index("receipt_watches_due").on(t.checkAt)],
);

/**
 * An environment's Ed25519 signing keys (src/core/signing/): what SDKs receive is
 * signed with the current key (the highest `n`) and, until `retires_at`, with the
 * previous one too (a rotation's overlap). `public_key` is the raw 32-byte key in
 * base64url, as `GET /v1/envs/{env}/signing-key` answers it; `private_key` the PKCS #8
 * form in base64url, never read by any route, and null once the key is retired.
 */
export const signingKeys = sqliteTable(
  "signing_keys",
  {
    tenantId: text("tenant_id").notNull(),
    env: text("env").notNull(),
    n: integer("n").notNull(),
    publicKey: text("public_key").notNull(),
    privateKey: text("private_key"),
    createdAt: integer("created_at").notNull(),
    /** Null for the current key; for the previous one, when it stops signing. */
    retiresAt: integer("retires_at"),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.env, t.n] })],
);

/**
 * A signed-in operator console's session (src/http/console/): the browser holds
 * only `<tenant id>.<session secret>`; the row holds sha256(secret), the key it
 * acts as (never the key's secret) and the token its forms must carry. A session
 * whose key is revoked, or idle for 12 h, is over.
 */
export const consoleSessions = sqliteTable(
  "console_sessions",
  {
    tenantId: text("tenant_id").notNull(),
    idHash: text("id_hash").notNull(),
    keyId: text("key_id").notNull(),
    csrfToken: text("csrf_token").notNull(),
    createdAt: integer("created_at").notNull(),
    lastSeenAt: integer("last_seen_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.idHash] }), index("console_sessions_key").on(t.tenantId, t.keyId)],
);

export const schema = {
  tenants,
  environments,
  apiKeys,
  flags,
  flagConfigs,
  segments,
  attributes,
  changeLog,
  auditLog,
  directives,
  receipts,
  scheduledChanges,
  webhooks,
  webhookEvents,
  webhookDeliveries,
  receiptWatches,
  signingKeys,
  consoleSessions,
};
export type Schema = typeof schema;
