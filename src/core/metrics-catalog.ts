/**
 * The service's Prometheus metrics, by name: one list for both hosts (the Node
 * host registers them with prom-client, the Worker renders them itself), so a
 * dashboard works against either. docs/operations.md describes each.
 *
 * No label names a tenant, a key or a flag: their number is unbounded, and every
 * label value makes a series of its own. The values each label takes are fixed
 * sets (actions, reasons, outcomes, route patterns), except `env`, whose
 * distinct values are capped (see {@link MAX_ENV_LABELS}).
 */
import { AUTH_FAILURE_REASONS, WEBHOOK_OUTCOMES } from "./telemetry.js";

export interface MetricSpec {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  labels: readonly string[];
  /** Histograms: upper bounds in seconds. */
  buckets?: readonly number[];
}

/** From a fast OFREP answer (well under a millisecond) to a write that waited for a lock (up to 5 s). */
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Propagation: the target is under 0.25 s at 10,000 connections; a cut-off instance acks after reconnecting. */
const APPLY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export const METRICS = {
  sdkConnections: {
    name: "killswitch_sdk_connections",
    help: "Open SDK stream connections, by environment.",
    type: "gauge",
    labels: ["env"],
  },
  changesCommitted: {
    name: "killswitch_changes_committed_total",
    help: "Committed changes (audit entries), by action.",
    type: "counter",
    labels: ["action"],
  },
  changeApplySeconds: {
    name: "killswitch_change_apply_seconds",
    help: "Seconds from a change's commit to an SDK instance's ack of it: one observation per instance connected at the commit.",
    type: "histogram",
    labels: [],
    buckets: APPLY_BUCKETS,
  },
  changesIncomplete: {
    name: "killswitch_changes_incomplete",
    help: "Recent committed versions that an SDK instance connected at their commit, and still connected, has not acked yet.",
    type: "gauge",
    labels: [],
  },
  ofrepEvaluations: {
    name: "killswitch_ofrep_evaluations_total",
    help: "Flags evaluated over OFREP, by OpenFeature reason.",
    type: "counter",
    labels: ["reason"],
  },
  authFailures: {
    name: "killswitch_auth_failures_total",
    help: "Refused credentials, by reason: missing, malformed, unknown (or revoked), forbidden (wrong role or scope).",
    type: "counter",
    labels: ["reason"],
  },
  httpRequestSeconds: {
    name: "killswitch_http_request_duration_seconds",
    help: "HTTP request duration in seconds, by route pattern, method and status.",
    type: "histogram",
    labels: ["route", "method", "status"],
    buckets: REQUEST_BUCKETS,
  },
  webhookDeliveries: {
    name: "killswitch_webhook_deliveries_total",
    help: "Webhook delivery attempts, by outcome: delivered, failed (retried later), abandoned (no retry left).",
    type: "counter",
    labels: ["outcome"],
  },
  scheduledChangesDue: {
    name: "killswitch_scheduled_changes_due",
    help: "Scheduled changes waiting to be applied.",
    type: "gauge",
    labels: [],
  },
} as const satisfies Record<string, MetricSpec>;

/** OpenFeature's reasons, as the evaluator gives them over OFREP. */
const OFREP_REASONS = ["STATIC", "DEFAULT", "TARGETING_MATCH", "SPLIT", "DISABLED", "ERROR"] as const;

/**
 * Series reported as 0 before anything happened, so that a rate or an alert
 * over them has data from the first scrape (Prometheus sees no series before
 * its first sample).
 */
export const ZERO_SERIES = {
  ofrepEvaluations: { label: "reason", values: OFREP_REASONS },
  authFailures: { label: "reason", values: AUTH_FAILURE_REASONS },
  webhookDeliveries: { label: "outcome", values: WEBHOOK_OUTCOMES },
} as const satisfies Partial<Record<keyof typeof METRICS, { label: string; values: readonly string[] }>>;

/**
 * Distinct `env` label values a scrape reports; the connections of any further
 * environments are summed under {@link OTHER_ENVS}. Environment keys are chosen by
 * tenants, so without a cap one tenant could create series without bound.
 */
export const MAX_ENV_LABELS = 50;
export const OTHER_ENVS = "(other)";

/** Connections per environment name, the largest {@link MAX_ENV_LABELS} kept and the rest summed. */
export function capEnvLabels(counts: ReadonlyMap<string, number>): Map<string, number> {
  if (counts.size <= MAX_ENV_LABELS) return new Map(counts);
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const kept = new Map(sorted.slice(0, MAX_ENV_LABELS - 1));
  kept.set(OTHER_ENVS, sorted.slice(MAX_ENV_LABELS - 1).reduce((sum, [, n]) => sum + n, 0));
  return kept;
}

/** The label of a route no handler matched: the raw path would make a series per URL probed. */
export const UNMATCHED_ROUTE = "(unmatched)";
