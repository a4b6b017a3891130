/**
 * `GET /openapi.json`, generated from the zod schemas that validate the requests
 * and describe the answers. The operation table below is checked against the
 * app's registered routes, both hosts' own included, by a test; the fuzzer
 * (test/fuzz/) reads the document to find every route and its inputs.
 */
import { z } from "zod";
import { blockSchema, killSchema, restoreSchema, ruleRemovalSchema } from "../core/schemas/actions.js";
import { scheduleCancelSchema, scheduledAnswerSchema, scheduleQuerySchema, scheduleSchema } from "../core/schemas/schedule.js";
import {
  deliveryQuerySchema,
  deliverySchema,
  webhookActionSchema,
  webhookCreateSchema,
  webhookPatchSchema,
  webhookRotateSchema,
  webhookSchema,
  webhookWithSecretSchema,
} from "../core/schemas/webhook.js";
import { attributeCreateSchema, attributePutSchema } from "../core/schemas/attribute.js";
import { deleteSchema, envCreateSchema, flagDeleteSchema, keyCreateSchema, tenantCreateSchema } from "../core/schemas/admin.js";
import { jsonValueSchema } from "../core/schemas/common.js";
import { evaluateRequestSchema, evaluateResponseSchema } from "../core/schemas/evaluate.js";
import { attributeConditionSchema, conditionSchema, segmentConditionSchema } from "../core/schemas/condition.js";
import { flagConfigInputSchema } from "../core/schemas/flag-config.js";
import { flagCreateSchema, flagPatchSchema } from "../core/schemas/flag.js";
import {
  ofrepBulkFailureSchema,
  ofrepBulkSuccessSchema,
  ofrepFailureSchema,
  ofrepQuerySchema,
  ofrepRequestSchema,
  ofrepSuccessSchema,
} from "../core/schemas/ofrep.js";
import {
  apiKeySchema,
  attributeSchema,
  auditEntrySchema,
  directiveViewSchema,
  directiveReportSchema,
  blockViewSchema,
  changeRefSchema,
  flagStateSchema,
  ruleStateSchema,
  segmentInWordsSchema,
  auditHeadSchema,
  auditRefSchema,
  instanceListSchema,
  auditVerificationSchema,
  environmentSchema,
  epochAnswerSchema,
  flagConfigSchema,
  flagSchema,
  healthSchema,
  keyCreatedSchema,
  pageSchema,
  problemSchema,
  propagationReceiptSchema,
  segmentSchema,
  signingKeysSchema,
  snapshotSchema,
  tenantCreatedSchema,
  versionAnswerSchema,
  wireFlagSchema,
  writeCheckpointSchema,
} from "../core/schemas/responses.js";
import { AUDIT_HASH_HEADER, AUDIT_SEQ_HEADER } from "./audit-checkpoint.js";
import { ruleInputSchema, ruleSchema } from "../core/schemas/rule.js";
import { segmentInputSchema } from "../core/schemas/segment.js";
import { serveSchema } from "../core/schemas/serve.js";
import { pageQuerySchema } from "../core/schemas/paging.js";
import { helloSchema, MAX_CLIENT_FRAME_BYTES } from "../core/stream/client-frame.js";
import { auditListQuerySchema, auditVerifyQuerySchema } from "../core/schemas/audit.js";
import {
  directiveCreateSchema,
  directiveDeleteSchema,
  directiveLiftSchema,
  directiveListQuerySchema,
  directivePatchSchema,
} from "../core/schemas/directive.js";
import { epochResetSchema, signingKeyRotateSchema } from "../core/schemas/signing.js";
import { instancesQuerySchema } from "./routes/propagation.js";

type Registry = ReturnType<typeof z.registry<{ id: string }>>;

function registry(schemas: Record<string, z.ZodType>): Registry {
  const r = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) r.add(schema, { id });
  return r;
}

const SHARED = {
  JsonValue: jsonValueSchema,
  AttributeCondition: attributeConditionSchema,
  SegmentCondition: segmentConditionSchema,
  Condition: conditionSchema,
  Serve: serveSchema,
};

/** Request bodies: described as the client writes them (defaults make fields optional). */
const INPUTS = registry({
  ...SHARED,
  RuleInput: ruleInputSchema,
  TenantCreate: tenantCreateSchema,
  EnvironmentCreate: envCreateSchema,
  KeyCreate: keyCreateSchema,
  FlagCreate: flagCreateSchema,
  FlagPatch: flagPatchSchema,
  FlagConfigInput: flagConfigInputSchema,
  SegmentInput: segmentInputSchema,
  AttributeCreate: attributeCreateSchema,
  AttributePut: attributePutSchema,
  Kill: killSchema,
  Restore: restoreSchema,
  Block: blockSchema,
  ScheduleCancel: scheduleCancelSchema,
  WebhookCreate: webhookCreateSchema,
  WebhookPatch: webhookPatchSchema,
  WebhookRotate: webhookRotateSchema,
  WebhookAction: webhookActionSchema,
  RuleRemoval: ruleRemovalSchema,
  Delete: deleteSchema,
  FlagDelete: flagDeleteSchema,
  EvaluateRequest: evaluateRequestSchema,
  DirectiveCreate: directiveCreateSchema,
  DirectivePatch: directivePatchSchema,
  DirectiveLift: directiveLiftSchema,
  DirectiveDelete: directiveDeleteSchema,
  OfrepRequest: ofrepRequestSchema,
  StreamHello: helloSchema,
  SigningKeyRotate: signingKeyRotateSchema,
  EpochReset: epochResetSchema,
});

/** Answers: described as the server sends them. */
const OUTPUTS = registry({
  ...SHARED,
  Rule: ruleSchema,
  TenantCreated: tenantCreatedSchema,
  Environment: environmentSchema,
  EnvironmentPage: pageSchema(environmentSchema),
  ApiKey: apiKeySchema,
  ApiKeyPage: pageSchema(apiKeySchema),
  KeyCreated: keyCreatedSchema,
  Flag: flagSchema,
  FlagPage: pageSchema(flagSchema),
  FlagConfig: flagConfigSchema,
  WireFlag: wireFlagSchema,
  Segment: segmentSchema,
  SegmentPage: pageSchema(segmentSchema),
  Attribute: attributeSchema,
  AttributePage: pageSchema(attributeSchema),
  Snapshot: snapshotSchema,
  VersionAnswer: versionAnswerSchema,
  AuditEntry: auditEntrySchema,
  AuditPage: pageSchema(auditEntrySchema),
  AuditVerification: auditVerificationSchema,
  AuditRef: auditRefSchema,
  AuditHead: auditHeadSchema,
  WriteCheckpoint: writeCheckpointSchema,
  PropagationReceipt: propagationReceiptSchema,
  Problem: problemSchema,
  Health: healthSchema,
  EvaluateResponse: evaluateResponseSchema,
  OfrepSuccess: ofrepSuccessSchema,
  OfrepFailure: ofrepFailureSchema,
  OfrepBulkSuccess: ofrepBulkSuccessSchema,
  OfrepBulkFailure: ofrepBulkFailureSchema,
  InstanceList: instanceListSchema,
  Directive: directiveViewSchema,
  ChangeRef: changeRefSchema,
  SegmentInWords: segmentInWordsSchema,
  RuleState: ruleStateSchema,
  FlagState: flagStateSchema,
  FlagStatePage: pageSchema(flagStateSchema),
  Block: blockViewSchema,
  BlockPage: pageSchema(blockViewSchema),
  DirectivePage: pageSchema(directiveViewSchema),
  DirectiveReport: directiveReportSchema,
  Schedule: scheduleSchema,
  SchedulePage: pageSchema(scheduleSchema),
  ScheduledAnswer: scheduledAnswerSchema,
  Webhook: webhookSchema,
  WebhookPage: pageSchema(webhookSchema),
  WebhookWithSecret: webhookWithSecretSchema,
  Delivery: deliverySchema,
  DeliveryPage: pageSchema(deliverySchema),
  SigningKeys: signingKeysSchema,
  EpochAnswer: epochAnswerSchema,
});

type Access = "none" | "root" | "viewer" | "operator" | "admin" | "sdk" | "viewer, or the environment's sdk key" | "metrics token";

export interface Operation {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** OpenAPI form: `/v1/flags/{key}`. */
  path: string;
  summary: string;
  access: Access;
  body?: string;
  /** The body may be omitted (DELETE). */
  optionalBody?: boolean;
  /** The query parameters it takes (a strict object); without it, none: any parameter is a 400. */
  query?: z.ZodObject;
  ifMatch?: boolean;
  /** Success status → component name (or null for no body). */
  ok: Record<number, string | null>;
  /** A POST that changes nothing (evaluation): its answer carries no audit checkpoint. */
  readOnly?: boolean;
  /** Problem statuses beyond 401/403 (and 413 with a body). */
  errors?: number[];
  /**
   * OFREP: errors answer this component as application/json instead of problem
   * JSON, the body is bounded and typed by the route itself (no 413, no 415), and
   * the key may also travel as X-API-Key.
   */
  errorBody?: string;
  /** Longer than the summary: the WebSocket's frames. */
  description?: string;
  /** Other media types the 200 answer comes in, by Accept. */
  alternatives?: string[];
  /** Server-sent events (with `text: "text/event-stream"`): takes Last-Event-ID. */
  eventStream?: boolean;
  /** The success body is text of this media type (the Prometheus exposition format), not JSON. */
  text?: string;
  /**
   * The one host that serves the route; the other answers 404 (`x-killswitch-host`).
   * Both register it, as both register `/readyz` whichever answers it.
   */
  host?: "node" | "worker";
  /** OFREP: signed on request (the `Killswitch-Sign` header), with two response headers. */
  signedOnRequest?: boolean;
}

const STREAM_DESCRIPTION = [
  "A WebSocket (RFC 6455) carrying protocol 1 in JSON text frames; a plain GET answers 426.",
  "The sdk key travels as `Authorization: Bearer <key>` or, where headers cannot be set, as",
  "`Sec-WebSocket-Protocol: killswitch.v1, <key>` (the server selects `killswitch.v1` only).",
  "Client frames: `hello` (first, see StreamHello), `{t:\"ack\", v}`, `{t:\"resync\"}`, and the bare text `ping`.",
  "Server frames: `snapshot {v, env, flags, segments, serverTime}`, `patch {v, prev, flags, segments, removed}`,",
  "`hb {v, serverTime}` (Node host), and `pong`. Snapshots and patches are signed (docs/signing.md): each opens with",
  "`sig` (public key → Ed25519 signature of the payload that follows; a snapshot's unsigned `serverTime` comes first)",
  "and names its `env`, `epoch` and `tenant`; during a key rotation's overlap a signed `hb` of version 0 announces the",
  "new key (`key`, `n`). `hello` may carry `epoch`: `since` then resumes only within it.",
  `A frame that breaks the protocol, or any input rule of the API, closes the socket with 1008; one over ${MAX_CLIENT_FRAME_BYTES / 1024} KiB with 1009;`,
  "a revoked key with 4001; shutdown with 1001.",
].join(" ");

const EVENTS_DESCRIPTION = [
  "Server-sent events (text/event-stream) of the key's tenant, each `event: <type>`, `id: <id>`, `data: <JSON>`:",
  "`change` {env, version, entity, key, flag, action, actor, reason, directive, committedAt, audit} once per committed environment version;",
  "`directive` {ref, action, actor, reason, at, audit} when a directive is recorded, edited, lifted or deleted;",
  "`receipt` {env, version, connected, acked, pending (a count), p99, status, complete, final} about every 250 ms while a change is pending and once when final;",
  "`instance` {env, event: connect|disconnect, instance, app, sdk, at}.",
  "A comment line every 15 s keeps the connection open. Send `Last-Event-ID` to resume: buffered events follow it,",
  "or after a restart the change and directive events after its audit seq (receipt and instance events are not replayed).",
].join(" ");

const PROMETHEUS_TEXT = "text/plain; version=0.0.4";
const SNAPSHOT_DESCRIPTION = [
  "The body opens with `sig`: public key → Ed25519 signature (base64url) of the rest of the body, i.e. of its bytes",
  "after the first `}` with the comma there replaced by `{` (docs/signing.md); the keys are those of",
  "`GET /v1/envs/{env}/signing-key`. The ETag names the version, the epoch and the signing keys.",
].join(" ");

const SIGNED_HEADERS = {
  "Killswitch-Signed": {
    description: "Sent when the request carries Killswitch-Sign: what the signature covers besides the body (ofrep/1; tenant, env, epoch, version, path, request = base64url SHA-256 of the request body).",
    schema: { type: "string" },
  },
  "Killswitch-Signature": {
    description: "Sent when the request carries Killswitch-Sign: `<public key>=<signature>`, comma-separated, each Ed25519 over `<Killswitch-Signed>\\n<body>` (docs/signing.md).",
    schema: { type: "string" },
  },
};

export const OPERATIONS: Operation[] = [
  { method: "get", path: "/healthz", summary: "Liveness", access: "none", ok: { 200: "Health" } },
  { method: "get", path: "/readyz", summary: "Readiness: the database answers a read and takes a write (on Workers: the router answers)", access: "none", ok: { 200: "Health" }, errors: [503] },
  { method: "get", path: "/openapi.json", summary: "This document", access: "none", ok: { 200: null } },
  { method: "post", path: "/v1/tenants", summary: "Create a tenant (with environment production and an admin key)", access: "root", body: "TenantCreate", ok: { 201: "TenantCreated" }, errors: [400] },
  { method: "get", path: "/v1/envs", summary: "List environments", access: "viewer", query: pageQuerySchema, ok: { 200: "EnvironmentPage" } },
  { method: "post", path: "/v1/envs", summary: "Create an environment (default configs for every flag)", access: "admin", body: "EnvironmentCreate", ok: { 201: "Environment" }, errors: [400, 409] },
  { method: "get", path: "/v1/keys", summary: "List active API keys", access: "admin", query: pageQuerySchema, ok: { 200: "ApiKeyPage" } },
  { method: "post", path: "/v1/keys", summary: "Create an API key; the secret is shown once", access: "admin", body: "KeyCreate", ok: { 201: "KeyCreated" }, errors: [400] },
  { method: "delete", path: "/v1/keys/{id}", summary: "Revoke an API key (effective on its next request)", access: "admin", body: "Delete", optionalBody: true, ok: { 204: null }, errors: [400, 404] },
  { method: "get", path: "/v1/flags", summary: "List flags", access: "viewer", query: pageQuerySchema, ok: { 200: "FlagPage" } },
  { method: "post", path: "/v1/flags", summary: "Create a flag (enabled in every environment)", access: "operator", body: "FlagCreate", ok: { 201: "Flag" }, errors: [400, 409] },
  { method: "get", path: "/v1/flags/{key}", summary: "Get a flag's definition", access: "viewer", ok: { 200: "Flag" }, errors: [404] },
  { method: "patch", path: "/v1/flags/{key}", summary: "Change a flag's variants, description or tags", access: "operator", body: "FlagPatch", ok: { 200: "Flag" }, errors: [400, 404, 409] },
  { method: "delete", path: "/v1/flags/{key}", summary: "Delete a flag in every environment (a reason is required)", access: "operator", body: "FlagDelete", ok: { 204: null }, errors: [400, 404] },
  { method: "get", path: "/v1/envs/{env}/flags/{key}", summary: "Get a flag's config in an environment", access: "viewer", ok: { 200: "FlagConfig" }, errors: [404] },
  { method: "put", path: "/v1/envs/{env}/flags/{key}", summary: "Replace a flag's config in an environment", access: "operator", body: "FlagConfigInput", ifMatch: true, ok: { 200: "FlagConfig" }, errors: [400, 404, 409] },
  { method: "post", path: "/v1/envs/{env}/flags/{key}/kill", summary: "Off for everyone (serves offVariant); with until it lifts itself, with at it is scheduled (202)", access: "operator", body: "Kill", ifMatch: true, ok: { 200: "VersionAnswer", 202: "ScheduledAnswer" }, errors: [400, 404, 409] },
  { method: "post", path: "/v1/envs/{env}/flags/{key}/restore", summary: "Undo a kill (enabled: true; blocks stay); with at it is scheduled (202)", access: "operator", body: "Restore", ifMatch: true, ok: { 200: "VersionAnswer", 202: "ScheduledAnswer" }, errors: [400, 404, 409] },
  { method: "post", path: "/v1/envs/{env}/flags/{key}/block", summary: "Insert a first rule serving offVariant to a segment or to matching contexts; with until it lifts itself, with at it is scheduled (202)", access: "operator", body: "Block", ifMatch: true, ok: { 200: "VersionAnswer", 202: "ScheduledAnswer" }, errors: [400, 404, 409] },
  { method: "delete", path: "/v1/envs/{env}/flags/{key}/rules/{ruleId}", summary: "Remove a rule (lifts a block); with at it is scheduled (202)", access: "operator", body: "RuleRemoval", ifMatch: true, ok: { 200: "VersionAnswer", 202: "ScheduledAnswer" }, errors: [400, 404, 409] },
  { method: "get", path: "/v1/envs/{env}/flags", summary: "Every flag's state in an environment: rules in plain words (segments expanded), directive, version and last change", access: "viewer", query: pageQuerySchema, ok: { 200: "FlagStatePage" }, errors: [400, 404] },
  { method: "get", path: "/v1/envs/{env}/blocks", summary: "What serves offVariant today (kills and blocking rules), with directive, since when and by whom", access: "viewer", query: pageQuerySchema, ok: { 200: "BlockPage" }, errors: [400, 404] },
  { method: "get", path: "/v1/envs/{env}/segments", summary: "List an environment's segments", access: "viewer", query: pageQuerySchema, ok: { 200: "SegmentPage" }, errors: [404] },
  { method: "get", path: "/v1/envs/{env}/segments/{key}", summary: "Get a segment", access: "viewer", ok: { 200: "Segment" }, errors: [404] },
  { method: "put", path: "/v1/envs/{env}/segments/{key}", summary: "Create or replace a segment", access: "operator", body: "SegmentInput", ifMatch: true, ok: { 200: "Segment", 201: "Segment" }, errors: [400, 404, 409] },
  { method: "delete", path: "/v1/envs/{env}/segments/{key}", summary: "Delete a segment no rule names", access: "operator", body: "Delete", optionalBody: true, ifMatch: true, ok: { 200: "VersionAnswer" }, errors: [400, 404, 409] },
  { method: "get", path: "/v1/attributes", summary: "List declared context attributes, built-ins included", access: "viewer", query: pageQuerySchema, ok: { 200: "AttributePage" } },
  { method: "post", path: "/v1/attributes", summary: "Declare a context attribute that rules may name", access: "admin", body: "AttributeCreate", ok: { 201: "Attribute" }, errors: [400, 409] },
  { method: "get", path: "/v1/attributes/{name}", summary: "Get a declared attribute", access: "viewer", ok: { 200: "Attribute" }, errors: [404] },
  { method: "put", path: "/v1/attributes/{name}", summary: "Declare or replace an attribute (409 when a rule's use would no longer fit)", access: "admin", body: "AttributePut", ok: { 200: "Attribute", 201: "Attribute" }, errors: [400, 409] },
  { method: "delete", path: "/v1/attributes/{name}", summary: "Delete a declared attribute no rule or segment uses", access: "admin", body: "Delete", optionalBody: true, ok: { 204: null }, errors: [400, 404, 409] },
  { method: "get", path: "/v1/envs/{env}/snapshot", summary: "An environment's flags and segments at one version, signed (ETag)", access: "viewer, or the environment's sdk key", ok: { 200: "Snapshot", 304: null }, errors: [404], description: SNAPSHOT_DESCRIPTION },
  { method: "get", path: "/v1/snapshot", summary: "The sdk key's own environment's snapshot, signed (ETag)", access: "sdk", ok: { 200: "Snapshot", 304: null }, description: SNAPSHOT_DESCRIPTION },
  { method: "get", path: "/v1/envs/{env}/signing-key", summary: "The Ed25519 public keys that sign the environment's snapshots and patches, and its epoch", access: "viewer, or the environment's sdk key", ok: { 200: "SigningKeys" }, errors: [404] },
  { method: "post", path: "/v1/envs/{env}/signing-key/rotate", summary: "A new signing key; the replaced one signs beside it for the overlap (default a day)", access: "admin", body: "SigningKeyRotate", ok: { 200: "SigningKeys" }, errors: [400, 404] },
  { method: "post", path: "/v1/envs/{env}/epoch", summary: "A new epoch, after the database was restored from a backup: SDKs take the restored versions, and every connected one gets a fresh snapshot", access: "admin", body: "EpochReset", ok: { 200: "EpochAnswer" }, errors: [400, 404] },
  { method: "get", path: "/v1/audit", summary: "The audit log, newest first; the filters given must all hold", access: "viewer", query: auditListQuerySchema, ok: { 200: "AuditPage" }, errors: [400] },
  { method: "get", path: "/v1/audit/head", summary: "The audit chain's newest entry: a checkpoint to keep outside the service", access: "viewer", ok: { 200: "AuditHead" } },
  { method: "get", path: "/v1/audit/verify", summary: "Recompute the audit hash chain; with a checkpoint (seq and hash), also check the chain still holds it", access: "viewer", query: auditVerifyQuerySchema, ok: { 200: "AuditVerification" }, errors: [400] },
  { method: "get", path: "/v1/events", summary: "The tenant's operator events as server-sent events (change, directive, receipt, instance); resumable", access: "viewer", ok: { 200: null }, errors: [400], text: "text/event-stream", eventStream: true, description: EVENTS_DESCRIPTION },
  { method: "get", path: "/v1/directives", summary: "Directives by ref: recorded ones, and refs that changes carry without a record (status unrecorded)", access: "viewer", query: directiveListQuerySchema, ok: { 200: "DirectivePage" } },
  { method: "post", path: "/v1/directives", summary: "Record a directive (its ref is what writes carry as directive)", access: "operator", body: "DirectiveCreate", ok: { 201: "Directive" }, errors: [400, 409] },
  { method: "get", path: "/v1/directives/{ref}", summary: "A directive, recorded or not, with its status and the changes that carry it", access: "viewer", ok: { 200: "Directive" }, errors: [404] },
  { method: "get", path: "/v1/directives/{ref}/report", summary: "A directive's report, rebuilt from the database alone: its changes with their receipts, what still holds, the audit chain's verification. Accept: application/json (default), text/markdown, or text/html (a printable page)", access: "viewer", ok: { 200: "DirectiveReport" }, errors: [404], alternatives: ["text/markdown", "text/html"] },
  { method: "patch", path: "/v1/directives/{ref}", summary: "Change a recorded directive's title, issuer, times or summary", access: "operator", body: "DirectivePatch", ok: { 200: "Directive" }, errors: [400, 404] },
  { method: "delete", path: "/v1/directives/{ref}", summary: "Delete a directive's record (changes keep their ref; it is listed as unrecorded)", access: "admin", body: "DirectiveDelete", ok: { 204: null }, errors: [400, 404] },
  { method: "post", path: "/v1/directives/{ref}/lift", summary: "Mark a directive lifted (its rules stay until removed)", access: "operator", body: "DirectiveLift", ok: { 200: "Directive" }, errors: [400, 404, 409] },
  { method: "post", path: "/v1/envs/{env}/evaluate", summary: "Explain what flags serve to a context, rule by rule", access: "viewer", body: "EvaluateRequest", readOnly: true, ok: { 200: "EvaluateResponse" }, errors: [404] },
  { method: "post", path: "/ofrep/v1/evaluate/flags/{key}", summary: "OFREP: evaluate one flag for a context", access: "sdk", query: ofrepQuerySchema, body: "OfrepRequest", ok: { 200: "OfrepSuccess" }, errors: [404], errorBody: "OfrepFailure", signedOnRequest: true },
  { method: "post", path: "/ofrep/v1/evaluate/flags", summary: "OFREP: evaluate every flag for a context (ETag)", access: "sdk", query: ofrepQuerySchema, body: "OfrepRequest", ok: { 200: "OfrepBulkSuccess", 304: null }, errorBody: "OfrepBulkFailure", signedOnRequest: true },
  { method: "get", path: "/v1/stream", summary: "The SDK stream: a WebSocket upgrade (protocol 1)", access: "sdk", ok: { 101: null }, errors: [400, 426, 503], description: STREAM_DESCRIPTION },
  { method: "get", path: "/v1/envs/{env}/changes/{version}", summary: "Propagation receipt: which instances applied a version, and how fast", access: "viewer", ok: { 200: "PropagationReceipt" }, errors: [404] },
  { method: "get", path: "/v1/envs/{env}/schedule", summary: "Scheduled changes of an environment, by due time (pending unless status says otherwise)", access: "viewer", query: scheduleQuerySchema, ok: { 200: "SchedulePage" }, errors: [400, 404] },
  { method: "get", path: "/v1/schedule/{id}", summary: "One scheduled change, with what became of it", access: "viewer", ok: { 200: "Schedule" }, errors: [404] },
  { method: "delete", path: "/v1/schedule/{id}", summary: "Cancel a pending scheduled change (a reason is required)", access: "operator", body: "ScheduleCancel", ok: { 200: "Schedule" }, errors: [400, 404, 409] },
  { method: "get", path: "/v1/webhooks", summary: "List webhook endpoints", access: "admin", query: pageQuerySchema, ok: { 200: "WebhookPage" } },
  { method: "post", path: "/v1/webhooks", summary: "Register a webhook endpoint (Standard Webhooks); the signing secret is shown once", access: "admin", body: "WebhookCreate", ok: { 201: "WebhookWithSecret" }, errors: [400, 409] },
  { method: "get", path: "/v1/webhooks/{id}", summary: "Get a webhook endpoint", access: "admin", ok: { 200: "Webhook" }, errors: [404] },
  { method: "patch", path: "/v1/webhooks/{id}", summary: "Change a webhook's URL, events, description, or pause it", access: "admin", body: "WebhookPatch", ok: { 200: "Webhook" }, errors: [400, 404] },
  { method: "delete", path: "/v1/webhooks/{id}", summary: "Delete a webhook endpoint and its pending deliveries", access: "admin", body: "WebhookAction", optionalBody: true, ok: { 204: null }, errors: [400, 404] },
  { method: "post", path: "/v1/webhooks/{id}/rotate-secret", summary: "A new signing secret, shown once; the previous one also signs for graceSeconds", access: "admin", body: "WebhookRotate", optionalBody: true, ok: { 200: "WebhookWithSecret" }, errors: [400, 404] },
  { method: "get", path: "/v1/webhooks/{id}/deliveries", summary: "A webhook's deliveries, newest first: attempts, status, latency, the answer's first bytes", access: "admin", query: deliveryQuerySchema, ok: { 200: "DeliveryPage" }, errors: [400, 404] },
  { method: "get", path: "/v1/webhooks/{id}/deliveries/{delivery}", summary: "One delivery", access: "admin", ok: { 200: "Delivery" }, errors: [404] },
  { method: "post", path: "/v1/webhooks/{id}/deliveries/{delivery}/redeliver", summary: "Send a delivery again (a new round of attempts, the same webhook-id)", access: "admin", body: "WebhookAction", optionalBody: true, ok: { 202: "Delivery" }, errors: [400, 404] },
  { method: "get", path: "/v1/envs/{env}/instances", summary: "The SDK instances connected to an environment", access: "viewer", query: instancesQuerySchema, ok: { 200: "InstanceList" }, errors: [400, 404] },
  { method: "get", path: "/metrics", summary: "Prometheus metrics of the whole process, every tenant's counts together (Node host; 404 unless KILLSWITCH_METRICS_TOKEN is set)", access: "metrics token", ok: { 200: null }, text: PROMETHEUS_TEXT, host: "node", errors: [400, 404] },
  { method: "get", path: "/v1/metrics", summary: "The calling tenant's Prometheus metrics, from its Durable Object (Worker host; 404 on Node, which serves /metrics)", access: "admin", ok: { 200: null }, text: PROMETHEUS_TEXT, host: "worker", errors: [400, 404] },
];

const STATUS_TEXT: Record<number, string> = {
  101: "Switching protocols: the WebSocket is open",
  200: "OK",
  201: "Created",
  202: "Accepted: scheduled, or queued",
  204: "No content",
  304: "Not modified (If-None-Match)",
  400: "Invalid request (per-field errors)",
  401: "Missing, malformed, unknown or revoked key",
  403: "Wrong role",
  404: "Not found (or another tenant's)",
  409: "Conflict, or stale If-Match",
  413: "Body over 256 KiB",
  415: "Body is not application/json",
  426: "Not a WebSocket upgrade",
  503: "Database busy or unavailable; retry after Retry-After",
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const CHECKPOINT_HEADERS = {
  [AUDIT_SEQ_HEADER]: { description: "The seq of the audit entry this write appended", schema: { type: "integer" } },
  [AUDIT_HASH_HEADER]: { description: "The hash of the audit entry this write appended", schema: { type: "string" } },
};

function components(): Record<string, unknown> {
  const uri = (id: string) => `#/components/schemas/${id}`;
  const input = z.toJSONSchema(INPUTS, { io: "input", unrepresentable: "any", uri }).schemas;
  const output = z.toJSONSchema(OUTPUTS, { io: "output", unrepresentable: "any", uri }).schemas;
  const all: Record<string, unknown> = {};
  for (const [id, schema] of Object.entries({ ...input, ...output })) {
    const { $schema: _schema, $id: _id, ...rest } = schema as Record<string, unknown>;
    all[id] = rest;
  }
  return all;
}

function operation(op: Operation): Record<string, unknown> {
  const parameters: unknown[] = [...op.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: "path",
    required: true,
    schema: { type: "string" },
  }));
  if (op.query) {
    const { properties = {}, required = [] } = z.toJSONSchema(op.query, { io: "input", unrepresentable: "any" }) as {
      properties?: Record<string, Record<string, unknown>>;
      required?: string[];
    };
    for (const [name, { description, ...schema }] of Object.entries(properties)) {
      parameters.push({ name, in: "query", ...(required.includes(name) ? { required: true } : {}), schema, ...(description ? { description } : {}) });
    }
  }
  if (op.path === "/v1/stream") {
    parameters.push(
      { name: "Upgrade", in: "header", required: true, schema: { const: "websocket" } },
      { name: "Sec-WebSocket-Protocol", in: "header", schema: { type: "string" }, description: "killswitch.v1, <sdk key>" },
    );
  }
  if (op.ifMatch) {
    parameters.push({
      name: "If-Match",
      in: "header",
      schema: { type: "string" },
      description: 'The entity version last read, 12 or "12"; 409 when it changed since.',
    });
  }
  if (op.ok[304] !== undefined) parameters.push({ name: "If-None-Match", in: "header", schema: { type: "string" } });
  if (op.eventStream) {
    parameters.push({ name: "Last-Event-ID", in: "header", schema: { type: "string" }, description: "The id of the last event received: resume after it" });
  }
  if (op.signedOnRequest) {
    parameters.push({
      name: "Killswitch-Sign",
      in: "header",
      schema: { type: "string" },
      description: "Any value: sign the answer (Killswitch-Signed, Killswitch-Signature); a client that verifies asks for it.",
    });
  }

  // Every write answers with the audit chain's new head (src/http/audit-checkpoint.ts).
  const write = op.method !== "get" && op.access !== "none" && !op.errorBody && !op.readOnly;
  const responses: Record<string, unknown> = {};
  for (const [status, schema] of Object.entries(op.ok)) {
    const body = schema && write ? { allOf: [ref(schema), ref("WriteCheckpoint")] } : schema ? ref(schema) : null;
    const alternatives = status === "200" ? Object.fromEntries((op.alternatives ?? []).map((type) => [type, { schema: { type: "string" } }])) : {};
    const content = body
      ? { "application/json": { schema: body }, ...alternatives }
      : op.text && status === "200"
        ? { [op.text]: { schema: { type: "string" } } }
        : null;
    responses[status] = {
      description: STATUS_TEXT[Number(status)] ?? "OK",
      ...(write ? { headers: CHECKPOINT_HEADERS } : {}),
      ...(op.signedOnRequest && status === "200" ? { headers: SIGNED_HEADERS } : {}),
      ...(content ? { content } : {}),
    };
  }
  const errors = new Set<number>(op.errors ?? []);
  if (op.access !== "none") errors.add(401);
  if (op.access !== "none" && op.access !== "metrics token") errors.add(403);
  if (op.body) errors.add(400);
  if (op.body && !op.errorBody) errors.add(413).add(415);
  if (op.method !== "get" && op.access !== "none") errors.add(503);
  for (const status of [...errors].sort()) {
    const content = op.errorBody
      ? { "application/json": { schema: ref(op.errorBody) } }
      : { "application/problem+json": { schema: ref("Problem") } };
    const retryAfter = { "Retry-After": { schema: { type: "integer" }, description: "Seconds to wait before retrying" } };
    responses[status] = { description: STATUS_TEXT[status] ?? "Error", ...(status === 503 ? { headers: retryAfter } : {}), content };
  }
  return {
    summary: op.summary,
    description: `${op.description ? `${op.description} ` : ""}Access: ${op.access}.`,
    "x-killswitch-access": op.access,
    ...(op.access === "none" ? { security: [] } : {}),
    ...(op.errorBody ? { security: [{ bearer: [] }, { apiKey: [] }] } : {}),
    ...(op.access === "metrics token" ? { security: [{ metricsToken: [] }] } : {}),
    ...(op.host ? { "x-killswitch-host": op.host } : {}),
    ...(op.path === "/v1/stream" ? { "x-killswitch-hello": ref("StreamHello") } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.body
      ? { requestBody: { required: !op.optionalBody, content: { "application/json": { schema: ref(op.body) } } } }
      : {}),
    responses,
  };
}

let cached: Record<string, unknown> | undefined;

export function openApiDocument(): Record<string, unknown> {
  if (cached) return cached;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) (paths[op.path] ??= {})[op.method] = operation(op);
  cached = {
    openapi: "3.1.0",
    info: {
      title: "Killswitch",
      version: "0.1.0",
      description:
        "Tenant-scoped kill switches for AI model availability. Errors are RFC 9457 application/problem+json.",
    },
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "ks_<tenantId>_<secret>, or the root token" },
        apiKey: { type: "apiKey", in: "header", name: "X-API-Key", description: "An sdk key, for OFREP only" },
        metricsToken: { type: "http", scheme: "bearer", description: "KILLSWITCH_METRICS_TOKEN, for GET /metrics only (Node host)" },
      },
      schemas: components(),
    },
  };
  return cached;
}
