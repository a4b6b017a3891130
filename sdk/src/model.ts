/**
 * The rule model shared by the service and every SDK: flags, their per-environment
 * configs, segments and evaluation contexts. These are the shapes of the admin API
 * and of the wire protocol; the service validates them with zod schemas that are
 * checked against these types at compile time.
 *
 * @packageDocumentation
 */

/** Any JSON value: what a `json` flag's variant may hold. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The type of a flag's variants. */
export type FlagKind = "boolean" | "string" | "number" | "json";

/**
 * Condition operators of protocol 1. A new operator comes with a new protocol
 * version, so an SDK never receives a config it cannot compile.
 */
export const OPERATORS = [
  "in",
  "notIn",
  "startsWith",
  "endsWith",
  "contains",
  "lt",
  "lte",
  "gt",
  "gte",
  "semverLt",
  "semverGt",
  "semverEq",
  "before",
  "after",
  "exists",
  "missing",
] as const;

/** One of {@link OPERATORS}. */
export type Operator = (typeof OPERATORS)[number];

/** A scalar that a condition compares a context attribute with. */
export type ConditionValue = string | number | boolean;

/**
 * Holds when the context attribute at `attribute` (a dotted path) satisfies `op`
 * against any of `values`. `exists` and `missing` take no values.
 */
export interface AttributeCondition {
  attribute: string;
  op: Operator;
  values?: ConditionValue[];
}

/** Holds when the context is a member of any of the named segments; `negate` inverts it. */
export interface SegmentCondition {
  segment: string[];
  negate?: boolean;
}

/** A rule's condition: on an attribute, or on segment membership. */
export type Condition = AttributeCondition | SegmentCondition;

/**
 * A percentage rollout: the context's `bucketBy` attribute (default `key`) is hashed
 * with the flag key and `salt` into one of 100,000 buckets; `weights` (variant →
 * buckets) sum to 100,000.
 */
export interface Rollout {
  bucketBy?: string;
  salt?: string;
  weights: Record<string, number>;
}

/** What a rule or the fallthrough serves: a fixed variant, or a rollout. */
export type Serve = { variant: string } | { rollout: Rollout };

/** A targeting rule: serves `serve` when every condition in `when` holds. */
export interface Rule {
  id: string;
  description?: string;
  directive?: string;
  when: Condition[];
  serve: Serve;
}

/** What an SDK does when it has heard nothing from the service for `staleAfterMs`. */
export type FailMode = "open" | "closed";

/** A flag's configuration in one environment. */
export interface FlagConfig {
  /** false: killed for everyone, `offVariant` is served (reason `DISABLED`). */
  enabled: boolean;
  offVariant: string;
  /** Ordered; the first rule whose conditions all hold serves. */
  rules: Rule[];
  fallthrough: Serve;
  failMode: FailMode;
  staleAfterMs?: number;
  /** The environment version at which this config last changed. */
  version: number;
}

/** A flag with its configuration in one environment: what the SDK receives. */
export interface WireFlag extends FlagConfig {
  key: string;
  kind: FlagKind;
  /** Variant name → value, in the order given at creation. */
  variants: Record<string, JsonValue>;
}

/** A segment rule: a context matching all of `when` is a member. */
export interface SegmentRule {
  when: AttributeCondition[];
}

/** Reusable targeting in one environment. Exclude wins over include and rules. */
export interface Segment {
  key: string;
  description?: string;
  include: string[];
  exclude: string[];
  rules: SegmentRule[];
  /** The environment version at which this segment last changed. */
  version: number;
}

/**
 * An evaluation context: `key` identifies the subject; any other attribute may be
 * a scalar, an array (a dual national's nationalities) or a nested object read by
 * a dotted path (`org.country`).
 */
export interface EvaluationContext {
  key?: string;
  [attribute: string]: unknown;
}

/** OpenFeature resolution reasons. */
export type Reason = "STATIC" | "DEFAULT" | "TARGETING_MATCH" | "SPLIT" | "DISABLED" | "CACHED" | "STALE" | "ERROR";

/** OpenFeature error codes. */
export type ErrorCode = "FLAG_NOT_FOUND" | "TYPE_MISMATCH" | "PARSE_ERROR" | "GENERAL" | "PROVIDER_NOT_READY";

/** The outcome of evaluating one flag for one context. Evaluation never throws. */
export interface EvaluationResult<T = JsonValue> {
  value: T;
  /** The variant served; absent when the caller's default is served. */
  variant?: string;
  reason: Reason;
  /** The rule that matched, for `TARGETING_MATCH` (and a rollout served by a rule). */
  ruleId?: string;
  errorCode?: ErrorCode;
  errorMessage?: string;
}
