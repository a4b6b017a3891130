/**
 * OFREP on top of the evaluator: the request's context as the evaluator reads it,
 * results in OFREP's shapes and status codes, and the bulk answer's ETag.
 * Runtime-agnostic; the HTTP routes (src/http/routes/ofrep.ts) only read and write.
 */
import type { EvaluationContext, EvaluationResult, Ruleset, WireFlag } from "@killswitch/sdk";
import { canonicalJson } from "../canonical-json.js";
import { sha256Hex } from "../crypto.js";
import type { OfrepBulkSuccess, OfrepFailure, OfrepRequest, OfrepSuccess } from "../schemas/ofrep.js";

/**
 * Whether a parsed JSON body is an OFREP request: what ofrepRequestSchema accepts
 * (an object whose `context` is an object, not an array; anything else is
 * ignored), checked without the copy a parse makes, for the per-request path.
 */
export function isOfrepRequest(body: unknown): body is OfrepRequest {
  if (!isPlainObject(body)) return false;
  return isPlainObject((body as { context?: unknown }).context);
}

const isPlainObject = (value: unknown): boolean => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * OpenFeature's `targetingKey` is the context's `key`; it wins over a `key`
 * attribute. Sets `key` on the context given (one parsed for this request: no
 * copy on the hot path) and returns it.
 */
export function ofrepContext(context: Record<string, unknown>): EvaluationContext {
  const targetingKey = context.targetingKey;
  // A key of another type is passed on as the SDK would receive it: the evaluator judges it.
  if (targetingKey !== undefined) context.key = targetingKey;
  return context;
}

export type OfrepAnswer = { status: 200; body: OfrepSuccess } | { status: 400 | 404 | 500; body: OfrepFailure };

/**
 * One flag's result in OFREP's shape; `flag` is the flag as loaded, whose config
 * version the metadata carries. A missing flag is 404 FLAG_NOT_FOUND; a flag whose
 * config cannot be compiled, 400 PARSE_ERROR (the protocol's only code for it);
 * anything else the evaluator reports (it never does over JSON), 500 GENERAL.
 */
export function ofrepAnswer(key: string, result: EvaluationResult, flag: WireFlag | undefined): OfrepAnswer {
  const { errorCode } = result;
  if (errorCode === undefined) {
    const metadata: Record<string, string | number> = {};
    if (typeof flag?.version === "number") metadata.version = flag.version;
    if (result.ruleId !== undefined) metadata.ruleId = result.ruleId;
    return { status: 200, body: { key, value: result.value, reason: result.reason, variant: result.variant ?? "", metadata } };
  }
  if (errorCode === "FLAG_NOT_FOUND") return { status: 404, body: { key, errorCode, errorDetails: `Flag "${key}" was not found.` } };
  const errorDetails = result.errorMessage ?? errorCode;
  return errorCode === "PARSE_ERROR"
    ? { status: 400, body: { key, errorCode, errorDetails } }
    : { status: 500, body: { key, errorCode: "GENERAL", errorDetails } };
}

interface SerializedSuccess {
  key: string;
  flag: WireFlag | undefined;
  json: string;
}

/** Success bodies already serialized, by the result they answer. */
const serialized = new WeakMap<EvaluationResult, SerializedSuccess>();

/**
 * The single-flag route's answer as JSON text. A success is serialized once per
 * result object: the evaluator serves results built and frozen when the flag was
 * compiled (a recompiled flag has new ones), so a flag's few possible answers are
 * each serialized once rather than once per request. The key and the flag as
 * loaded are checked too, so a result shared by two flags is never confused.
 */
export function ofrepAnswerJson(key: string, result: EvaluationResult, flag: WireFlag | undefined): { status: OfrepAnswer["status"]; json: string } {
  if (result.errorCode === undefined) {
    const known = serialized.get(result);
    if (known !== undefined && known.key === key && known.flag === flag) return { status: 200, json: known.json };
  }
  const { status, body } = ofrepAnswer(key, result, flag);
  const json = JSON.stringify(body);
  if (status === 200) serialized.set(result, { key, flag, json });
  return { status, json };
}

/** Every flag of the environment, by key, each a success or a failure; the metadata carries the environment version. */
export function ofrepBulk(ruleset: Ruleset, context: EvaluationContext): OfrepBulkSuccess {
  const flags = ruleset
    .keys()
    .sort()
    .map((key) => ofrepAnswer(key, ruleset.resolve(key, context), ruleset.flag(key)).body);
  return { flags, metadata: { version: ruleset.version } };
}

/**
 * The bulk answer's strong ETag: the environment version, then a hash of the
 * canonical context and of the answer itself. A changed context never matches,
 * and neither does an answer that changed without a new version (a rule on
 * `currentTime` crossing its instant).
 */
export async function ofrepBulkEtag(version: number, context: EvaluationContext, body: string): Promise<string> {
  const hash = await sha256Hex(`${canonicalJson(context)}\n${body}`);
  return `"${version}-${hash.slice(0, 32)}"`;
}

/** Whether an If-None-Match header names `etag` (weak or strong). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}
