/**
 * The evaluator's conformance cases (cases.json), shared by the SDK tests, the
 * server tests and the benchmark so that no implementation can drift. Any
 * language can read the JSON; this module gives TypeScript callers types and the
 * few conventions of a case (which key to evaluate, the clock).
 */
import type { EvaluationContext, EvaluationResult, JsonValue, Segment, WireFlag } from "../../src/model.js";
import file from "./cases.json" with { type: "json" };

/** One case: load `flag` and `segments`, evaluate, expect exactly `expected`. */
export interface ConformanceCase {
  name: string;
  /** Loaded under its own key. May be deliberately invalid (PARSE_ERROR cases). */
  flag: WireFlag;
  segments?: Record<string, Segment>;
  /** The key to evaluate; default flag.key (a different key tests FLAG_NOT_FOUND). */
  flagKey?: string;
  context: EvaluationContext;
  default: JsonValue;
  /** Time since the client last heard from the service; default 0. */
  silentForMs?: number;
  /** The evaluator's clock (ISO 8601) for `currentTime`; default the real clock. */
  now?: string;
  /** The result's fields; a field absent here must be absent from the result. */
  expected: Pick<EvaluationResult, "value" | "variant" | "reason" | "ruleId" | "errorCode">;
}

export interface ConformanceFile {
  specVersion: number;
  description: string;
  cases: ConformanceCase[];
}

/** Every case, as parsed from cases.json. */
export const conformance = file as unknown as ConformanceFile;

/** The case's flag key to evaluate. */
export function caseFlagKey(c: ConformanceCase): string {
  return c.flagKey ?? c.flag.key;
}

/** The case's clock, or undefined for the real one. */
export function caseClock(c: ConformanceCase): (() => number) | undefined {
  if (c.now === undefined) return undefined;
  const t = Date.parse(c.now);
  return () => t;
}

/** The fields a case compares, without absent ones (so `toEqual` also checks absence). */
export function comparable(r: EvaluationResult): ConformanceCase["expected"] {
  const out: ConformanceCase["expected"] = { value: r.value, reason: r.reason };
  if (r.variant !== undefined) out.variant = r.variant;
  if (r.ruleId !== undefined) out.ruleId = r.ruleId;
  if (r.errorCode !== undefined) out.errorCode = r.errorCode;
  return out;
}
