/**
 * The first middleware of the app: gives each request an id (the caller's
 * `X-Request-Id` when it is a plain token, else a new UUID), sends it back as
 * `x-request-id`, and once the request is answered tells the host's telemetry
 * its route pattern, method, status, duration, tenant and key id (one metric
 * observation and one log line per request). An unexpected failure travels with
 * that record, so it is logged once, with the request id, and never with the
 * request's body.
 */
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { UNMATCHED_ROUTE } from "../core/metrics-catalog.js";
import type { Telemetry } from "../core/telemetry.js";
import type { AppEnv } from "./app-env.js";

export const REQUEST_ID_HEADER = "x-request-id";

/** A caller's id is kept when it is short and plain: it goes into every log line of the request. */
const CALLER_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdOf(header: string | null | undefined): string {
  return header != null && CALLER_ID.test(header) ? header : crypto.randomUUID();
}

/** Hono's `/v1/flags/:key` as the OpenAPI document writes it; few distinct patterns, so each is converted once. */
const patterns = new Map<string, string>();
function openApiPattern(path: string): string {
  let pattern = patterns.get(path);
  if (pattern === undefined) patterns.set(path, (pattern = path.replace(/:(\w+)/g, "{$1}")));
  return pattern;
}

/** The route a request matched (the handler's, not a middleware's), or UNMATCHED_ROUTE. */
export function routeOf(c: Context): string {
  for (const route of matchedRoutes(c)) {
    if (route.method !== "ALL") return openApiPattern(route.path);
  }
  return UNMATCHED_ROUTE;
}

/** An unexpected failure of this request, reported with its record rather than on its own. */
export function reportFailure(c: Context, error: unknown): void {
  (c as Context<AppEnv>).set("failure", error);
}

export function observeRequests(telemetry: Telemetry): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const requestId = requestIdOf(c.req.header(REQUEST_ID_HEADER));
    c.set("requestId", requestId);
    await next();
    setHeader(c, REQUEST_ID_HEADER, requestId);
    const status = c.res.status;
    // Every 403 of this API refuses a valid credential for its role or scope; 401s are counted where refused, with why.
    if (status === 403) telemetry.authFailed("forbidden");
    const principal = c.get("principal");
    const key = principal?.kind === "key" ? principal.key : undefined;
    telemetry.requestServed({
      requestId,
      method: c.req.method,
      route: routeOf(c),
      status,
      durationMs: performance.now() - started,
      tenantId: key?.tenantId,
      keyId: key?.keyId,
      error: c.get("failure"),
    });
  };
}

/**
 * On the answer as it is: the headers of a Response built here are mutable. One
 * whose headers are not (a WebSocket's 101 on some runtimes) goes without.
 */
function setHeader(c: Context, name: string, value: string): void {
  try {
    c.res.headers.set(name, value);
  } catch {
    // Immutable: copying a 101 with its WebSocket is not possible everywhere.
  }
}
