/**
 * OFREP, the OpenFeature Remote Evaluation Protocol: single-flag and bulk
 * evaluation for an sdk key's environment, with the protocol's own error bodies
 * `{key, errorCode, errorDetails}` instead of problem JSON. docs/ofrep.md lists
 * what the protocol leaves open and how it is settled here.
 *
 * The single-flag route is on applications' request paths, so it does only what
 * a correct answer needs, and in the steady state reads no database: the key
 * and the environment's version come from the store's memory (brought up to
 * date by every commit before it is answered, so a revocation or a change holds
 * from the next request), the answer from the ruleset compiled when that
 * version was first seen, serialized once per possible result. Order of
 * answers, as on /v1: 401 → 403 → 404 → 400.
 */
import type { Context } from "hono";
import { databaseFault, isBusyError } from "../../core/db/retryable.js";
import { etagMatches, isOfrepRequest, ofrepAnswerJson, ofrepBulk, ofrepBulkEtag, ofrepContext } from "../../core/evaluation/ofrep.js";
import { rulesetCacheOf } from "../../core/evaluation/shared-cache.js";
import { FrameSigner } from "../../core/signing/frame-signer.js";
import { jsonInputFaults } from "../../core/json-input.js";
import { ProblemError } from "../../core/problem.js";
import { MAX_CONTEXT_BYTES } from "../../core/schemas/evaluate.js";
import { ofrepQuerySchema, type OfrepErrorCode, type OfrepRequest } from "../../core/schemas/ofrep.js";
import { silentTelemetry } from "../../core/telemetry.js";
import type { App, AppDeps, AppEnv } from "../app-env.js";
import { credentialOf, sdkKeyChecker, WWW_AUTHENTICATE, type KeyToucher, type SdkKey } from "../credentials.js";
import { reportFailure } from "../observe-requests.js";
import { readQuery } from "../request.js";

export const OFREP_PATH = "/ofrep/v1/evaluate/flags";

/** An answer in OFREP's error shape; thrown inside a route, written by `answerError`. */
class OfrepError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 500 | 503,
    readonly errorCode: OfrepErrorCode,
    detail: string,
  ) {
    super(detail);
  }
}

const tooLarge = (): OfrepError => new OfrepError(400, "INVALID_CONTEXT", `The context is over ${MAX_CONTEXT_BYTES / 1024} KiB.`);
const decoder = new TextDecoder();

/**
 * The body's text, at most MAX_CONTEXT_BYTES. These routes are registered before
 * the service-wide body limit, whose stream check would make Node build a full
 * web Request per call. A declared length (which the HTTP parser holds the body
 * to) is checked before anything is read; a chunked body is read until it passes
 * the limit.
 */
async function readBoundedText(c: Context): Promise<string> {
  const declared = c.req.header("content-length");
  if (declared !== undefined && c.req.header("transfer-encoding") === undefined) {
    if (!(Number(declared) <= MAX_CONTEXT_BYTES)) throw tooLarge();
    return c.req.text();
  }
  const reader = c.req.raw.body?.getReader();
  if (reader === undefined) return "";
  let text = "";
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_CONTEXT_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

/**
 * The request body. PARSE_ERROR for anything that is not a JSON object;
 * GENERAL for a query parameter OFREP does not define; INVALID_CONTEXT when `context` is not
 * an object, the body is over the context limit, or it breaks the rules every
 * input follows (src/core/json-input.ts: depth, U+0000, lone surrogates,
 * `__proto__`). The content type is not checked: OFREP clients all send JSON.
 */
async function readRequest(c: Context): Promise<{ request: OfrepRequest; text: string }> {
  if (c.req.url.includes("?")) queryRefusal(c);
  const text = await readBoundedText(c);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new OfrepError(400, "PARSE_ERROR", `The body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new OfrepError(400, "PARSE_ERROR", 'The body must be a JSON object: {"context": {...}}.');
  }
  const faults = jsonInputFaults(body, { text });
  if (faults.length > 0) {
    const { path, message } = faults[0]!;
    throw new OfrepError(400, /^context(\.|\[|$)/.test(path) ? "INVALID_CONTEXT" : "PARSE_ERROR", `${path}: ${message}`);
  }
  if (!isOfrepRequest(body)) throw new OfrepError(400, "INVALID_CONTEXT", "context must be an object of attributes.");
  return { request: body, text };
}

/** Only OFREP's own query parameters (ignored); any other is a 400, in OFREP's shape. */
function queryRefusal(c: Context): void {
  try {
    readQuery(c, ofrepQuerySchema);
  } catch (error) {
    if (error instanceof ProblemError) throw new OfrepError(400, "GENERAL", error.message);
    throw error;
  }
}

/**
 * An answer in OFREP's error shape `{key?, errorCode, errorDetails}`: `key` on the
 * single-flag route only; a 401 carries the challenge, a 503 a retry hint.
 */
export function ofrepErrorResponse(status: OfrepError["status"], errorCode: OfrepErrorCode, detail: string, key?: string): Response {
  const body = { ...(key === undefined ? {} : { key }), errorCode, errorDetails: detail };
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (status === 401) headers["www-authenticate"] = WWW_AUTHENTICATE;
  if (status === 503) headers["retry-after"] = "1";
  return new Response(JSON.stringify(body), { status, headers });
}

/** The OFREP answer for an error thrown below a route: the core's problems mapped, anything else a logged 500. */
function toOfrepError(error: unknown, report: (error: unknown) => void): OfrepError {
  if (error instanceof OfrepError) return error;
  if (error instanceof ProblemError) {
    if (error.kind === "notFound") return new OfrepError(404, "FLAG_NOT_FOUND", error.message);
    if (error.kind === "busy" || error.kind === "unavailable") return new OfrepError(503, "GENERAL", error.message);
  }
  if (isBusyError(error) || databaseFault(error) !== null) {
    return new OfrepError(503, "GENERAL", "The database cannot answer now; retry the request.");
  }
  report(error);
  return new OfrepError(500, "GENERAL", "An internal error occurred; it has been logged.");
}

/** A caller that verifies answers asks for a signature with this request header (any value). */
export const SIGN_REQUEST_HEADER = "killswitch-sign";
export const SIGNED_HEADER = "killswitch-signed";
export const SIGNATURE_HEADER = "killswitch-signature";

export function ofrepRoutes(app: App, deps: AppDeps & { touchKey: KeyToucher }): void {
  const cache = rulesetCacheOf(deps.store, { now: deps.clock });
  const check = sdkKeyChecker(deps, "ofrep");
  const telemetry = deps.telemetry ?? silentTelemetry;
  const authenticate = async (c: Context<AppEnv>) => {
    const checked = await check(credentialOf((name) => c.req.header(name), "ofrep"));
    if (!checked.ok) {
      // 403s are counted once answered, with every other 403 (observe-requests.ts).
      if (checked.status === 401) telemetry.authFailed(checked.reason);
      throw new OfrepError(checked.status, "GENERAL", checked.detail);
    }
    // The request's log line names the key (its id, never the secret).
    c.set("principal", { kind: "key", key: checked.key });
    return checked.key;
  };
  const signer = new FrameSigner(deps.store, { onError: deps.onError });
  const encoder = new TextEncoder();

  /**
   * A success's headers, signed when the caller asks (`Killswitch-Sign`): an Ed25519
   * signature per request is the route's largest cost, so only a verifying client pays
   * it. Over the request's path and body and the answer (docs/signing.md).
   */
  const signed = async (c: Context, key: SdkKey, version: number, requestText: string, body: string): Promise<Record<string, string>> => {
    if (c.req.header(SIGN_REQUEST_HEADER) === undefined) return {};
    const { signed, signature } = await signer.ofrep(key.tenantId, key.env, version, c.req.path, encoder.encode(requestText), body);
    return { [SIGNED_HEADER]: signed, [SIGNATURE_HEADER]: signature };
  };

  /** Any failure as OFREP's error body; `key` is absent on the bulk route. */
  const answerError = (c: Context, error: unknown, key?: string): Response => {
    const failure = toOfrepError(error, (cause) => reportFailure(c, cause));
    return ofrepErrorResponse(failure.status, failure.errorCode, failure.message, key);
  };

  app.post(`${OFREP_PATH}/:key`, async (c) => {
    const flagKey = c.req.param("key");
    try {
      const key = await authenticate(c);
      const ruleset = await cache.get(key.tenantId, key.env);
      if (ruleset.flag(flagKey) === undefined) {
        telemetry.ofrepEvaluated("ERROR");
        throw new OfrepError(404, "FLAG_NOT_FOUND", `Flag "${flagKey}" was not found.`);
      }
      const { request, text } = await readRequest(c);
      const version = ruleset.version;
      const result = ruleset.resolve(flagKey, ofrepContext(request.context));
      telemetry.ofrepEvaluated(result.reason);
      const { status, json } = ofrepAnswerJson(flagKey, result, ruleset.flag(flagKey));
      const headers = status === 200 ? await signed(c, key, version, text, json) : {};
      return c.body(json, status, { ...headers, "content-type": "application/json" });
    } catch (error) {
      return answerError(c, error, flagKey);
    }
  });

  app.post(OFREP_PATH, async (c) => {
    try {
      const key = await authenticate(c);
      const ruleset = await cache.get(key.tenantId, key.env);
      const { request, text } = await readRequest(c);
      // One synchronous pass: the version and every result come from the same ruleset state.
      const evaluated = ofrepContext(request.context);
      const version = ruleset.version;
      const bulk = ofrepBulk(ruleset, evaluated);
      for (const flag of bulk.flags) telemetry.ofrepEvaluated("reason" in flag ? flag.reason : "ERROR");
      const body = JSON.stringify(bulk);
      const etag = await ofrepBulkEtag(version, evaluated, body);
      const headers = { etag, "cache-control": "no-cache" };
      if (etagMatches(c.req.header("if-none-match"), etag)) return c.body(null, 304, headers);
      return c.body(body, 200, { ...headers, ...(await signed(c, key, version, text, body)), "content-type": "application/json" });
    } catch (error) {
      return answerError(c, error);
    }
  });
}
