/**
 * The tenant store: every read and mutation of the service, runtime-agnostic.
 * Hosts give it a drizzle handle, an executor and a broadcaster.
 *
 * Every method takes the tenant id first and touches only that tenant's rows.
 * Mutations take the acting key (for the audit log) and throw ProblemError for
 * anything the caller can fix.
 */
import type { AuditRef, FlagConfig, Segment } from "@killswitch/sdk";
import type { AuditHead } from "../audit/chain.js";
import type { Actor } from "../actor.js";
import type { CommittedChange, StreamSource } from "../broadcaster.js";
import type { BlockInput, KillInput, RestoreInput } from "../schemas/actions.js";
import type { DeleteInput, EnvCreateInput, FlagDeleteInput, KeyCreateInput, TenantCreateInput } from "../schemas/admin.js";
import type { FlagConfigInput } from "../schemas/flag-config.js";
import type { FlagCreateInput, FlagPatchInput } from "../schemas/flag.js";
import type { Page, PageQuery } from "../schemas/paging.js";
import type {
  ApiKeyView,
  AuditEntryView,
  AuditHeadView,
  AuditVerification,
  EnvironmentView,
  FlagView,
  VersionAnswer,
} from "../schemas/responses.js";
import type { SegmentInput } from "../schemas/segment.js";
import type { AttributeCreateInput, AttributePutInput } from "../schemas/attribute.js";
import type { AttributeView, BlockView, DirectiveReport, DirectiveView, FlagState } from "../schemas/responses.js";
import type { DirectiveCreateInput, DirectiveLiftInput, DirectiveListQuery, DirectivePatchInput } from "../schemas/directive.js";
import * as directives from "./directives.js";
import * as flagStates from "./flag-states.js";
import * as directiveReports from "./directive-report.js";
import * as receipts from "./receipts.js";
import * as commitRecords from "./commit-records.js";
import type { ReceiptStore } from "../receipts/receipt-store.js";
import type { CommitRecord } from "../events/operator-events.js";
import type { AuditListQuery } from "../schemas/audit.js";
import * as attributes from "./attributes.js";
import * as keys from "./api-keys.js";
import * as sessions from "./console-sessions.js";
import * as audit from "./audit-log.js";
import * as changeLog from "./change-log.js";
import { storeContext, type StoreOptions } from "./context.js";
import * as environments from "./environments.js";
import * as configs from "./flag-configs.js";
import * as flags from "./flags.js";
import * as segments from "./segments.js";
import * as snapshots from "./snapshots.js";
import * as tenants from "./tenants.js";
import * as schedule from "./schedule.js";
import * as webhooks from "./webhooks.js";
import * as outbox from "./outbox.js";
import * as watches from "./receipt-watches.js";
import type { ScheduleCancelInput, ScheduleQuery, ScheduleView } from "../schemas/schedule.js";
import type {
  DeliveryQuery,
  DeliveryView,
  WebhookCreateInput,
  WebhookActionInput,
  WebhookPatchInput,
  WebhookRotateInput,
  WebhookView,
} from "../schemas/webhook.js";
import type { EventData, QueuedEvent } from "../webhooks/event.js";
import * as signing from "./signing-keys.js";
import type { SigningSource, SigningState } from "../signing/signing-state.js";
import type { EpochResetInput, SigningKeyRotateInput } from "../schemas/signing.js";
import type { EpochAnswer, SigningKeysView } from "../schemas/responses.js";

export type { Sha256Hex, StoreOptions } from "./context.js";
export type { AuthenticatedKey, CreatedKey } from "./api-keys.js";
export type { ConsoleSession } from "./console-sessions.js";
export type { CreatedTenant } from "./tenants.js";
export type { WriteOptions } from "./flag-configs.js";
export type { PutSegmentResult } from "./segments.js";
export type { PutAttributeResult } from "./attributes.js";
export type { StoreSnapshot } from "./snapshots.js";
export type { ClaimedSchedule, ScheduleOutcome, ScheduleRequest } from "./schedule.js";
export type { WebhookWithSecret } from "./webhooks.js";
export type { AttemptOutcome, ClaimedDelivery } from "./outbox.js";
export type { ClaimedWatch } from "./receipt-watches.js";

export interface Store extends StreamSource, SigningSource, ReceiptStore {
  hasTenants(): Promise<boolean>;
  createTenant(input: TenantCreateInput, actor?: Actor): Promise<tenants.CreatedTenant>;

  authenticate(token: string): Promise<keys.AuthenticatedKey | null>;
  /**
   * Records a key's use (`lastUsedAt`), written in a batch a moment later, best
   * effort: resolves once that batch was tried, never rejects.
   */
  touchKey(tenantId: string, keyId: string, at: number): Promise<void>;
  /** Writes the key uses still waiting, once, and batches no more (shutdown). */
  flushKeyUses(): Promise<void>;
  /** A console session for a key that has just authenticated (src/http/console/). */
  createSession(key: keys.AuthenticatedKey): Promise<sessions.ConsoleSession>;
  /** The live session of a cookie's value, or null (unknown, signed out, idle 12 h, key revoked). */
  findSession(id: string): Promise<sessions.ConsoleSession | null>;
  deleteSession(id: string): Promise<void>;
  listKeys(tenantId: string, query: PageQuery): Promise<Page<ApiKeyView>>;
  getKey(tenantId: string, keyId: string): Promise<ApiKeyView>;
  createKey(tenantId: string, actor: Actor, input: KeyCreateInput): Promise<keys.CreatedKey>;
  revokeKey(tenantId: string, actor: Actor, keyId: string, input: DeleteInput): Promise<void>;

  listEnvironments(tenantId: string, query: PageQuery): Promise<Page<EnvironmentView>>;
  getEnvironment(tenantId: string, env: string): Promise<EnvironmentView>;
  /**
   * The environment's current version, without a database read once this store
   * knows it (it learns every version it commits); rejects 404 for an unknown one.
   * A number when known, so a hot path can skip an await.
   */
  envVersion(tenantId: string, env: string): number | Promise<number>;
  createEnvironment(tenantId: string, actor: Actor, input: EnvCreateInput): Promise<EnvironmentView>;

  /** What signs an environment's frames now (its epoch and imported keys), from memory once loaded. */
  signingState(tenantId: string, env: string): Promise<SigningState>;
  /** The public keys that sign an environment's frames now, and its epoch. */
  getSigningKeys(tenantId: string, env: string): Promise<SigningKeysView>;
  rotateSigningKey(tenantId: string, actor: Actor, env: string, input: SigningKeyRotateInput): Promise<SigningKeysView>;
  resetEpoch(tenantId: string, actor: Actor, env: string, input: EpochResetInput): Promise<EpochAnswer>;

  listFlags(tenantId: string, query: PageQuery): Promise<Page<FlagView>>;
  getFlag(tenantId: string, key: string): Promise<FlagView>;
  createFlag(tenantId: string, actor: Actor, input: FlagCreateInput): Promise<FlagView>;
  patchFlag(tenantId: string, actor: Actor, key: string, input: FlagPatchInput): Promise<FlagView>;
  deleteFlag(tenantId: string, actor: Actor, key: string, input: FlagDeleteInput): Promise<void>;

  getFlagConfig(tenantId: string, env: string, key: string): Promise<FlagConfig>;
  putFlagConfig(tenantId: string, actor: Actor, env: string, key: string, input: FlagConfigInput, options?: configs.WriteOptions): Promise<FlagConfig>;
  killFlag(tenantId: string, actor: Actor, env: string, key: string, input: KillInput, options?: configs.WriteOptions): Promise<VersionAnswer>;
  restoreFlag(tenantId: string, actor: Actor, env: string, key: string, input: RestoreInput, options?: configs.WriteOptions): Promise<VersionAnswer>;
  blockFlag(tenantId: string, actor: Actor, env: string, key: string, input: BlockInput, options?: configs.WriteOptions): Promise<VersionAnswer>;
  removeRule(tenantId: string, actor: Actor, env: string, key: string, ruleId: string, input: RestoreInput, options?: configs.WriteOptions): Promise<VersionAnswer>;

  /** Scheduled changes (schedule.ts); the claim, apply and defer calls are the host scheduler's. */
  schedule: {
    create(tenantId: string, actor: Actor, env: string, key: string, request: schedule.ScheduleRequest, options?: configs.WriteOptions): Promise<{ schedule: ScheduleView }>;
    list(tenantId: string, env: string, query: ScheduleQuery): Promise<Page<ScheduleView>>;
    get(tenantId: string, id: string): Promise<ScheduleView>;
    cancel(tenantId: string, actor: Actor, id: string, input: ScheduleCancelInput): Promise<ScheduleView>;
    claimDue(now: number, limit: number, leaseMs: number): Promise<schedule.ClaimedSchedule[]>;
    apply(tenantId: string, id: string): Promise<schedule.ScheduleOutcome | null>;
    defer(tenantId: string, id: string, now: number): Promise<void>;
    nextAt(): Promise<number | null>;
    counts(now: number): Promise<{ pending: number; due: number }>;
  };

  /** Webhook endpoints (webhooks.ts), and the outbox the host's dispatcher drains (outbox.ts, receipt-watches.ts). */
  webhooks: {
    list(tenantId: string, query: PageQuery): Promise<Page<WebhookView>>;
    get(tenantId: string, id: string): Promise<WebhookView>;
    create(tenantId: string, actor: Actor, input: WebhookCreateInput): Promise<webhooks.WebhookWithSecret>;
    patch(tenantId: string, actor: Actor, id: string, input: WebhookPatchInput): Promise<WebhookView>;
    delete(tenantId: string, actor: Actor, id: string, input: WebhookActionInput): Promise<void>;
    rotateSecret(tenantId: string, actor: Actor, id: string, input: WebhookRotateInput): Promise<webhooks.WebhookWithSecret>;
    deliveries(tenantId: string, webhookId: string, query: DeliveryQuery): Promise<Page<DeliveryView>>;
    delivery(tenantId: string, webhookId: string, id: string): Promise<DeliveryView>;
    redeliver(tenantId: string, actor: Actor, webhookId: string, id: string, input?: WebhookActionInput): Promise<DeliveryView>;
    /** Queues events outside a mutation (not audited). */
    queue(tenantId: string, events: readonly QueuedEvent[]): Promise<void>;
    claimDeliveries(now: number, limit: number, leaseMs: number, busy?: readonly string[], perEndpoint?: number): Promise<outbox.ClaimedDelivery[]>;
    releaseDeliveries(claimed: readonly outbox.ClaimedDelivery[]): Promise<void>;
    /** Records attempts in one commit (each write is an fsync: a burst of answers is recorded together). */
    recordAttempts(records: readonly { claimed: outbox.ClaimedDelivery; outcome: outbox.AttemptOutcome }[]): Promise<void>;
    nextDeliveryAt(): Promise<number | null>;
    claimWatches(now: number, limit: number, leaseMs: number): Promise<watches.ClaimedWatch[]>;
    finishWatch(watch: watches.ClaimedWatch, event: QueuedEvent | null): Promise<void>;
    deferWatch(watch: watches.ClaimedWatch, checkAt: number): Promise<void>;
    nextWatchAt(): Promise<number | null>;
    changeEventData(tenantId: string, env: string, version: number): Promise<EventData | null>;
  };

  listSegments(tenantId: string, env: string, query: PageQuery): Promise<Page<Segment>>;
  getSegment(tenantId: string, env: string, key: string): Promise<Segment>;
  putSegment(tenantId: string, actor: Actor, env: string, key: string, input: SegmentInput, options?: configs.WriteOptions): Promise<segments.PutSegmentResult>;
  deleteSegment(tenantId: string, actor: Actor, env: string, key: string, input: DeleteInput, options?: configs.WriteOptions): Promise<{ version: number }>;

  listAttributes(tenantId: string, query: PageQuery): Promise<Page<AttributeView>>;
  getAttribute(tenantId: string, name: string): Promise<AttributeView>;
  createAttribute(tenantId: string, actor: Actor, input: AttributeCreateInput): Promise<AttributeView>;
  putAttribute(tenantId: string, actor: Actor, name: string, input: AttributePutInput): Promise<attributes.PutAttributeResult>;
  deleteAttribute(tenantId: string, actor: Actor, name: string, input: DeleteInput): Promise<void>;

  /** Every flag's state in an environment, rules in plain words, with the change that made each config's version. */
  listFlagStates(tenantId: string, env: string, query: PageQuery): Promise<Page<FlagState>>;
  /** What serves offVariant in an environment today (kills and blocking rules), with since when and by whom. */
  listBlocks(tenantId: string, env: string, query: PageQuery): Promise<Page<BlockView>>;

  /** A directive's report, from the database alone (404 as getDirective). */
  directiveReport(tenantId: string, ref: string): Promise<DirectiveReport>;
  listDirectives(tenantId: string, query: DirectiveListQuery): Promise<Page<DirectiveView>>;
  /** A recorded directive, or an unrecorded ref that changes carry (404 when neither). */
  getDirective(tenantId: string, ref: string): Promise<DirectiveView>;
  createDirective(tenantId: string, actor: Actor, input: DirectiveCreateInput): Promise<DirectiveView>;
  patchDirective(tenantId: string, actor: Actor, ref: string, input: DirectivePatchInput): Promise<DirectiveView>;
  liftDirective(tenantId: string, actor: Actor, ref: string, input: DirectiveLiftInput): Promise<DirectiveView>;
  deleteDirective(tenantId: string, actor: Actor, ref: string, input: DirectiveLiftInput): Promise<void>;

  /**
   * The environment at one version, with its name: `GET .../snapshot` and the
   * stream's first frame (which also carries the audit entry that made the version).
   */
  snapshot(tenantId: string, env: string): Promise<snapshots.StoreSnapshot>;
  changesSince(tenantId: string, env: string, since: number): Promise<CommittedChange[] | null>;

  /** The audit entry of the change that made an environment's version; null when not known. */
  changeAudit(tenantId: string, env: string, version: number): Promise<AuditRef | null>;

  /** Newest first; the filters of `query` all hold. */
  /** The commits of changes and directives after an audit seq, oldest first: operator events replayed after a restart. */
  commitsAfterSeq(tenantId: string, afterSeq: number, limit: number): Promise<CommitRecord[]>;

  listAudit(tenantId: string, query: AuditListQuery): Promise<Page<AuditEntryView>>;
  /** The whole chain checked; with a checkpoint kept elsewhere, also whether the chain still holds it. */
  verifyAudit(tenantId: string, checkpoint?: AuditHead): Promise<AuditVerification>;
  auditHead(tenantId: string): Promise<AuditHeadView>;

  /**
   * Entry points for changes this store did not commit itself (another process on
   * the same database, followed through the commit feed): the store keeps keys and
   * environment versions in memory and drops or raises them here. Its own commits
   * need no call.
   *
   * `invalidateKey`: a key was created or revoked; requests with it, or with a
   * token of the same prefix when given, read the database again.
   */
  invalidateKey(tenantId: string, keyId: string, prefix?: string): void;
  /** An environment moved: to `version` when given, else its next lookup reads the database. */
  invalidateEnvironment(tenantId: string, env: string, version?: number): void;
  /** An environment's signing keys or epoch changed: its next signature reads them again. */
  invalidateSigning(tenantId: string, env: string): void;
}

export function createStore(options: StoreOptions): Store {
  const ctx = storeContext(options);
  return {
    hasTenants: () => tenants.hasTenants(ctx),
    createTenant: (input, actor) => tenants.createTenant(ctx, input, actor),

    authenticate: (token) => keys.authenticate(ctx, token),
    touchKey: (tenantId, keyId, at) => keys.touchKey(ctx, tenantId, keyId, at),
    flushKeyUses: () => ctx.touches.flush(),
    createSession: (key) => sessions.createSession(ctx, key),
    findSession: (id) => sessions.findSession(ctx, id),
    deleteSession: (id) => sessions.deleteSession(ctx, id),
    listKeys: (tenantId, query) => keys.listKeys(ctx, tenantId, query),
    getKey: (tenantId, keyId) => keys.getKey(ctx, tenantId, keyId),
    createKey: (tenantId, actor, input) => keys.createKey(ctx, tenantId, actor, input),
    revokeKey: (tenantId, actor, keyId, input) => keys.revokeKey(ctx, tenantId, actor, keyId, input),

    listEnvironments: (tenantId, query) => environments.listEnvironments(ctx, tenantId, query),
    getEnvironment: (tenantId, env) => environments.getEnvironment(ctx, tenantId, env),
    envVersion: (tenantId, env) => environments.envVersion(ctx, tenantId, env),
    createEnvironment: (tenantId, actor, input) => environments.createEnvironment(ctx, tenantId, actor, input),

    signingState: (tenantId, env) => signing.signingState(ctx, tenantId, env),
    getSigningKeys: (tenantId, env) => signing.getSigningKeys(ctx, tenantId, env),
    rotateSigningKey: (tenantId, actor, env, input) => signing.rotateSigningKey(ctx, tenantId, actor, env, input),
    resetEpoch: (tenantId, actor, env, input) => signing.resetEpoch(ctx, tenantId, actor, env, input),

    listFlags: (tenantId, query) => flags.listFlags(ctx, tenantId, query),
    getFlag: (tenantId, key) => flags.getFlag(ctx, tenantId, key),
    createFlag: (tenantId, actor, input) => flags.createFlag(ctx, tenantId, actor, input),
    patchFlag: (tenantId, actor, key, input) => flags.patchFlag(ctx, tenantId, actor, key, input),
    deleteFlag: (tenantId, actor, key, input) => flags.deleteFlag(ctx, tenantId, actor, key, input),

    getFlagConfig: (tenantId, env, key) => configs.getFlagConfig(ctx, tenantId, env, key),
    putFlagConfig: (tenantId, actor, env, key, input, opts) => configs.putFlagConfig(ctx, tenantId, actor, env, key, input, opts),
    killFlag: (tenantId, actor, env, key, input, opts) => configs.killFlag(ctx, tenantId, actor, env, key, input, opts),
    restoreFlag: (tenantId, actor, env, key, input, opts) => configs.restoreFlag(ctx, tenantId, actor, env, key, input, opts),
    blockFlag: (tenantId, actor, env, key, input, opts) => configs.blockFlag(ctx, tenantId, actor, env, key, input, opts),
    removeRule: (tenantId, actor, env, key, ruleId, input, opts) =>
      configs.removeRule(ctx, tenantId, actor, env, key, ruleId, input, opts),

    schedule: {
      create: (tenantId, actor, env, key, request, opts) => schedule.createScheduled(ctx, tenantId, actor, env, key, request, opts),
      list: (tenantId, env, query) => schedule.listScheduled(ctx, tenantId, env, query),
      get: (tenantId, id) => schedule.getScheduled(ctx, tenantId, id),
      cancel: (tenantId, actor, id, input) => schedule.cancelScheduled(ctx, tenantId, actor, id, input),
      claimDue: (now, limit, leaseMs) => schedule.claimDueSchedules(ctx, now, limit, leaseMs),
      apply: (tenantId, id) => schedule.applyScheduled(ctx, tenantId, id),
      defer: (tenantId, id, now) => schedule.deferScheduled(ctx, tenantId, id, now),
      nextAt: () => schedule.nextScheduledAt(ctx),
      counts: (now) => schedule.scheduleCounts(ctx, now),
    },

    webhooks: {
      list: (tenantId, query) => webhooks.listWebhooks(ctx, tenantId, query),
      get: (tenantId, id) => webhooks.getWebhook(ctx, tenantId, id),
      create: (tenantId, actor, input) => webhooks.createWebhook(ctx, tenantId, actor, input),
      patch: (tenantId, actor, id, input) => webhooks.patchWebhook(ctx, tenantId, actor, id, input),
      delete: (tenantId, actor, id, input) => webhooks.deleteWebhook(ctx, tenantId, actor, id, input),
      rotateSecret: (tenantId, actor, id, input) => webhooks.rotateWebhookSecret(ctx, tenantId, actor, id, input),
      deliveries: (tenantId, webhookId, query) => webhooks.listDeliveries(ctx, tenantId, webhookId, query),
      delivery: (tenantId, webhookId, id) => webhooks.getDelivery(ctx, tenantId, webhookId, id),
      redeliver: (tenantId, actor, webhookId, id, input) => webhooks.redeliver(ctx, tenantId, actor, webhookId, id, input),
      queue: (tenantId, events) => outbox.queueEvents(ctx, tenantId, events),
      claimDeliveries: (now, limit, leaseMs, busy, perEndpoint) => outbox.claimDeliveries(ctx, now, limit, leaseMs, busy, perEndpoint),
      releaseDeliveries: (claimed) => outbox.releaseDeliveries(ctx, claimed),
      recordAttempts: (records) => outbox.recordAttempts(ctx, records),
      nextDeliveryAt: () => outbox.nextDeliveryAt(ctx),
      claimWatches: (now, limit, leaseMs) => watches.claimDueWatches(ctx, now, limit, leaseMs),
      finishWatch: (watch, event) => watches.finishWatch(ctx, watch, event),
      deferWatch: (watch, checkAt) => watches.deferWatch(ctx, watch, checkAt),
      nextWatchAt: () => watches.nextWatchAt(ctx),
      changeEventData: (tenantId, env, version) => watches.changeEventData(ctx, tenantId, env, version),
    },

    listSegments: (tenantId, env, query) => segments.listSegments(ctx, tenantId, env, query),
    getSegment: (tenantId, env, key) => segments.getSegment(ctx, tenantId, env, key),
    putSegment: (tenantId, actor, env, key, input, opts) => segments.putSegment(ctx, tenantId, actor, env, key, input, opts),
    deleteSegment: (tenantId, actor, env, key, input, opts) => segments.deleteSegment(ctx, tenantId, actor, env, key, input, opts),

    listAttributes: (tenantId, query) => attributes.listAttributes(ctx, tenantId, query),
    getAttribute: (tenantId, name) => attributes.getAttribute(ctx, tenantId, name),
    createAttribute: (tenantId, actor, input) => attributes.createAttribute(ctx, tenantId, actor, input),
    putAttribute: (tenantId, actor, name, input) => attributes.putAttribute(ctx, tenantId, actor, name, input),
    deleteAttribute: (tenantId, actor, name, input) => attributes.deleteAttribute(ctx, tenantId, actor, name, input),

    listFlagStates: (tenantId, env, query) => flagStates.listFlagStates(ctx, tenantId, env, query),
    listBlocks: (tenantId, env, query) => flagStates.listBlocks(ctx, tenantId, env, query),

    directiveReport: (tenantId, ref) => directiveReports.directiveReport(ctx, tenantId, ref),
    listDirectives: (tenantId, query) => directives.listDirectives(ctx, tenantId, query),
    getDirective: (tenantId, ref) => directives.getDirective(ctx, tenantId, ref),
    createDirective: (tenantId, actor, input) => directives.createDirective(ctx, tenantId, actor, input),
    patchDirective: (tenantId, actor, ref, input) => directives.patchDirective(ctx, tenantId, actor, ref, input),
    liftDirective: (tenantId, actor, ref, input) => directives.liftDirective(ctx, tenantId, actor, ref, input),
    deleteDirective: (tenantId, actor, ref, input) => directives.deleteDirective(ctx, tenantId, actor, ref, input),

    snapshot: (tenantId, env) => snapshots.snapshot(ctx, tenantId, env),
    changesSince: (tenantId, env, since) => snapshots.changesSince(ctx, tenantId, env, since),
    changeAudit: (tenantId, env, version) => changeLog.changeAudit(ctx, tenantId, env, version),

    saveReceipt: (tenantId, env, receipt) => receipts.saveReceipt(ctx, tenantId, env, receipt),
    savedReceipt: (tenantId, env, version) => receipts.savedReceipt(ctx, tenantId, env, version),
    savedReceipts: (tenantId, env, versions) => receipts.savedReceipts(ctx, tenantId, env, versions),
    commitsAfterSeq: (tenantId, afterSeq, limit) => commitRecords.commitsAfterSeq(ctx, tenantId, afterSeq, limit),

    listAudit: (tenantId, query) => audit.listAudit(ctx, tenantId, query),
    verifyAudit: (tenantId, checkpoint) => audit.verifyAudit(ctx, tenantId, checkpoint),
    auditHead: (tenantId) => audit.auditHead(ctx, tenantId),


    invalidateKey: (tenantId, keyId, prefix) => {
      ctx.keys.invalidateKey(tenantId, keyId);
      if (prefix !== undefined) ctx.keys.invalidatePrefix(tenantId, prefix);
    },
    invalidateEnvironment: (tenantId, env, version) =>
      version === undefined ? ctx.versions.invalidate(tenantId, env) : ctx.versions.raise(tenantId, env, version),
    invalidateSigning: (tenantId, env) => ctx.signing.drop(tenantId, env),
  };
}
