/**
 * What a host that routes each request to its tenant's app by the key (the
 * Worker, whose apps live in one Durable Object per tenant) answers itself,
 * before any tenant's app runs: the requests no tenant can answer. Made from the
 * app's own pieces (credentials.ts, the body limit, the problem and OFREP error
 * shapes), in the app's order, so that a client cannot tell the hosts apart:
 *
 * - keyless routes (`/healthz`, `/readyz`, `/openapi.json`): answered here;
 * - OFREP: 401 without a key, 403 for the root token, 401 for a key naming no
 *   tenant, in OFREP's error shape; the context limit is left to the app;
 * - the operator console (`/console`): 413 over the body limit, then the host
 *   routes it by its session cookie;
 * - everything else: 413 over the body limit, 404 outside `/v1`, then
 *   `admitV1`: 401, the root token's 403 outside `POST /v1/tenants`, and 401
 *   for a key naming no tenant.
 */
import { parseToken } from "../core/keys/token.js";
import { ProblemError, type ProblemKind } from "../core/problem.js";
import { MAX_CONTEXT_BYTES } from "../core/schemas/evaluate.js";
import { MAX_BODY_BYTES } from "./create-app.js";
import { admitV1, credentialOf, isRootToken, NO_CREDENTIAL, ROOT_ON_OFREP, UNKNOWN_KEY } from "./credentials.js";
import { openApiDocument } from "./openapi.js";
import { errorToResponse } from "./problem-response.js";
import { noQuerySchema, parseQuery, queryRecord } from "./request.js";
import { OFREP_PATH, ofrepErrorResponse } from "./routes/ofrep.js";

export interface EdgeOptions {
  /** `KILLSWITCH_ROOT_TOKEN`. */
  rootToken: string | undefined;
  /** The request body's first `keep` bytes (a caller keeping `limit + 1` sees a body over `limit`). */
  readBody(keep: number): Promise<ArrayBuffer>;
  /** Whether a tenant of that id was created. */
  knownTenant(tenantId: string): Promise<boolean>;
}

/** What the edge does with a request: answer it, create a tenant, or hand it to one tenant's app. */
export type EdgeRoute =
  | { kind: "answer"; response: Response }
  | { kind: "createTenant"; body: ArrayBuffer | null }
  | { kind: "forward"; tenantId: string; body: ArrayBuffer | null }
  | { kind: "console"; body: ArrayBuffer | null };

const KEYLESS = new Set(["/healthz", "/readyz", "/openapi.json"]);
/** The two OFREP routes; anything else under /ofrep/ is a 404 on both hosts. */
const OFREP_ROUTE = new RegExp(`^${OFREP_PATH}(?:/([^/]+))?$`);

export async function routeAtEdge(request: Request, options: EdgeOptions): Promise<EdgeRoute> {
  const url = new URL(request.url);
  const header = (name: string) => request.headers.get(name);
  if (request.method === "GET" && KEYLESS.has(url.pathname)) {
    // Each tenant's storage lives in its own app: what can be ready or not here is the router.
    return answer(queryRefusal(url.search) ?? Response.json(url.pathname === "/openapi.json" ? openApiDocument() : { ok: true }));
  }

  const ofrep = request.method === "POST" ? OFREP_ROUTE.exec(url.pathname) : null;
  if (ofrep !== null) {
    // OFREP bounds its own bodies (the context limit, after the key and flag checks): the app gets enough to see it is over.
    const body = await options.readBody(MAX_CONTEXT_BYTES + 1);
    const flagKey = ofrep[1] === undefined ? undefined : decodeSegment(ofrep[1]);
    const token = credentialOf(header, "ofrep");
    if (token === null) return answer(ofrepErrorResponse(401, "GENERAL", NO_CREDENTIAL.ofrep, flagKey));
    if (isRootToken(token, options.rootToken)) return answer(ofrepErrorResponse(403, "GENERAL", ROOT_ON_OFREP, flagKey));
    const tenantId = await tenantOf(token, options);
    if (tenantId === null) return answer(ofrepErrorResponse(401, "GENERAL", UNKNOWN_KEY, flagKey));
    return { kind: "forward", tenantId, body };
  }

  const withBody = request.method !== "GET" && request.method !== "HEAD";
  const body = withBody ? await options.readBody(MAX_BODY_BYTES + 1) : null;
  if (body !== null && body.byteLength > MAX_BODY_BYTES) return answer(problem("payloadTooLarge", `The body is over ${MAX_BODY_BYTES / 1024} KiB.`));
  if (isConsolePath(url.pathname)) return { kind: "console", body };
  if (!url.pathname.startsWith("/v1/")) return answer(problem("notFound", `No route ${request.method} ${url.pathname}.`));

  const admitted = admitV1(header, request.method, url.pathname, options.rootToken);
  if (admitted.kind === "refused") return answer(problem(admitted.status === 401 ? "unauthorized" : "forbidden", admitted.detail));
  if (admitted.kind === "root") return { kind: "createTenant", body };
  const tenantId = await tenantOf(admitted.token, options);
  if (tenantId === null) return answer(problem("unauthorized", UNKNOWN_KEY));
  return { kind: "forward", tenantId, body };
}

/** The tenant a key names, when that tenant exists; whether the key is valid is its app's to say. */
async function tenantOf(token: string, options: EdgeOptions): Promise<string | null> {
  const tenantId = parseToken(token)?.tenantId ?? null;
  return tenantId !== null && (await options.knownTenant(tenantId)) ? tenantId : null;
}

/** The operator console's pages, forms and files (src/http/console/). */
export function isConsolePath(pathname: string): boolean {
  return pathname === "/console" || pathname.startsWith("/console/");
}

const answer = (response: Response): EdgeRoute => ({ kind: "answer", response });

/** An RFC 9457 answer made by the app's own error mapping. */
export function problem(kind: ProblemKind, detail: string): Response {
  return errorToResponse(new ProblemError(kind, detail), () => {});
}

/** The app's 400 for query parameters on a route that takes none, or null. */
function queryRefusal(search: string): Response | null {
  try {
    parseQuery(queryRecord(search), noQuerySchema);
    return null;
  } catch (error) {
    return errorToResponse(error, () => {});
  }
}

/** As Hono decodes a path parameter: percent-decoded, or left as sent when that fails. */
function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
