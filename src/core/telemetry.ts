/**
 * What the service tells its host as it runs, for metrics and logs. The core,
 * the HTTP layer and the socket layers call it; each host implements it (Node:
 * prom-client and pino; Workers: the tenant object's own counters and JSON lines
 * on `console.log`). Nothing here knows a metrics or logging library.
 *
 * Every method is called on a request's or a commit's path: it must be cheap,
 * and must not throw (callers guard it where a throw would fail a commit).
 * Nothing passed here carries a key's secret or a request's body.
 */
import type { AuditHead } from "./audit/chain.js";

/**
 * Why a credential was refused: none was sent; it is no key at all; it names no
 * live key (unknown or revoked); or it is valid but lacks the role, environment
 * or kind the route needs (a 403).
 */
export type AuthFailureReason = "missing" | "malformed" | "unknown" | "forbidden";

export const AUTH_FAILURE_REASONS: readonly AuthFailureReason[] = ["missing", "malformed", "unknown", "forbidden"];

/**
 * One webhook delivery attempt: the receiver answered 2xx; it did not (an
 * error status, a timeout, a connection that failed) and the event will be
 * tried again; or it did not and no retry is left.
 */
export type WebhookOutcome = "delivered" | "failed" | "abandoned";

export const WEBHOOK_OUTCOMES: readonly WebhookOutcome[] = ["delivered", "failed", "abandoned"];

/** A committed mutation, as the store reports it after the commit. */
export interface CommitEvent {
  tenantId: string;
  /** The audit entry's action: `flag.kill`, `segment.update`, `key.create`… (a fixed set). */
  action: string;
  entity: string;
  /** The entity's key (a flag key, a key id, a tenant id): never a secret. */
  key: string;
  /** Each environment the commit moved, with its new version; empty for keys, environments, tenants. */
  versions: { env: string; version: number }[];
  audit: AuditHead;
  actor: { keyId: string | null; role: string };
  /** Commit time, milliseconds since the epoch. */
  at: number;
}

/** An SDK connection of one environment, from its hello (or its upgrade, before the hello). */
export interface ConnectionEvent {
  tenantId: string;
  env: string;
  keyId: string;
  instance?: string | undefined;
  app?: string | undefined;
  /** The SDK's name and version, from its hello. */
  sdk?: string | undefined;
  /** On disconnect: the close code, when known. */
  code?: number | undefined;
}

/** One HTTP request, once answered. */
export interface RequestRecord {
  requestId: string;
  method: string;
  /** The route's pattern as the OpenAPI document writes it (`/v1/flags/{key}`), never the raw path. */
  route: string;
  status: number;
  durationMs: number;
  tenantId?: string | undefined;
  /** The key's id (`key_…`), never its secret. */
  keyId?: string | undefined;
  /** An unexpected failure (the cause of a 500): logged once, with this request. */
  error?: unknown;
}

export interface Telemetry {
  /** An HTTP request was answered. */
  requestServed(record: RequestRecord): void;
  /** A mutation committed (one call per audit entry). */
  changeCommitted(event: CommitEvent): void;
  /** An SDK instance applied a version: seconds from its commit to the instance's ack. */
  changeApplied(seconds: number): void;
  sdkConnected(event: ConnectionEvent): void;
  sdkDisconnected(event: ConnectionEvent): void;
  /** One flag evaluated over OFREP (a bulk request calls it once per flag), by OpenFeature reason. */
  ofrepEvaluated(reason: string): void;
  /** A credential was refused (401 or 403). */
  authFailed(reason: AuthFailureReason): void;
  /** One webhook delivery attempt ended. */
  webhookDelivered(outcome: WebhookOutcome): void;
  /** How many scheduled changes wait to be applied (not yet applied, skipped or cancelled). */
  scheduledChangesDue(count: number): void;
}

const ignore = (): void => {};

/** Reports nothing: the default where a host wires no metrics or logs. */
export const silentTelemetry: Telemetry = {
  requestServed: ignore,
  changeCommitted: ignore,
  changeApplied: ignore,
  sdkConnected: ignore,
  sdkDisconnected: ignore,
  ofrepEvaluated: ignore,
  authFailed: ignore,
  webhookDelivered: ignore,
  scheduledChangesDue: ignore,
};

/** A telemetry that implements some methods and ignores the rest. */
export function telemetryOf(parts: Partial<Telemetry>): Telemetry {
  return { ...silentTelemetry, ...parts };
}

/** Each call goes to every one of `targets`, in order (metrics, then logs). */
export function combineTelemetry(...targets: (Telemetry | null | undefined)[]): Telemetry {
  const all = targets.filter((t): t is Telemetry => t != null && t !== silentTelemetry);
  if (all.length === 0) return silentTelemetry;
  if (all.length === 1) return all[0]!;
  const combined = {} as Record<keyof Telemetry, (arg: never) => void>;
  for (const name of Object.keys(silentTelemetry) as (keyof Telemetry)[]) {
    const calls = all
      .filter((t) => t[name] !== ignore)
      .map((t) => (t[name] as (arg: never) => void).bind(t));
    combined[name] = calls.length === 0 ? ignore : calls.length === 1 ? calls[0]! : (arg) => calls.forEach((call) => call(arg));
  }
  return combined as Telemetry;
}
