/**
 * CORS for the routes a browser calls with an sdk key, so that a page on any
 * origin can use them: the snapshot (the browser SDK polls it while its
 * WebSocket cannot connect) and OFREP (a browser OpenFeature provider). The
 * key travels in `Authorization` or `X-API-Key`, never in a cookie, so every
 * origin is allowed and credentials never are: `Access-Control-Allow-Origin: *`.
 * The stream needs nothing here (browsers apply no CORS to a WebSocket), and the
 * admin API gets no CORS: a page on another origin has no business with it.
 * https://fetch.spec.whatwg.org/#http-cors-protocol
 */
import { Hono, type Env, type MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { OFREP_PATH } from "./routes/ofrep.js";

/**
 * The headers those routes read. Listed, not echoed: a wildcard would not cover
 * `Authorization` anyway (the Fetch standard requires it by name).
 */
export const CORS_ALLOW_HEADERS = ["Authorization", "Content-Type", "If-None-Match", "X-API-Key", "Killswitch-Sign"];
/**
 * Response headers a client reads beyond the safelisted ones: the ETag it sends back,
 * Retry-After on a 503, and a signed OFREP answer's signature (docs/signing.md).
 */
export const CORS_EXPOSE_HEADERS = ["ETag", "Retry-After", "Killswitch-Signed", "Killswitch-Signature"];
/** Seconds a browser may reuse a preflight: Chromium's cap (Firefox allows a day). */
export const CORS_MAX_AGE = 7200;

/** Each browser-facing route (Hono path patterns) with the methods it answers. */
export const SDK_CORS_ROUTES: readonly { path: string; methods: string[] }[] = [
  { path: "/v1/snapshot", methods: ["GET", "HEAD"] },
  { path: "/v1/envs/:env/snapshot", methods: ["GET", "HEAD"] },
  { path: OFREP_PATH, methods: ["POST"] },
  { path: `${OFREP_PATH}/:key`, methods: ["POST"] },
];

const corsFor = (methods: string[]): MiddlewareHandler =>
  cors({ origin: "*", allowMethods: methods, allowHeaders: CORS_ALLOW_HEADERS, exposeHeaders: CORS_EXPOSE_HEADERS, maxAge: CORS_MAX_AGE });

/**
 * Mounts CORS on the browser-facing routes. Mount it before authentication: a
 * preflight carries no key and is answered 204 here, never 401 or 404; every
 * other answer on those routes (errors included) carries the CORS headers, so a
 * page can read a 401 or a 403 and stop.
 */
export function sdkCors<E extends Env>(app: Hono<E>): void {
  for (const { path, methods } of SDK_CORS_ROUTES) app.use(path, corsFor(methods));
}

/**
 * For a host that answers some requests before the app runs (the Worker routes
 * by key, so it must answer a preflight, which has none, and it refuses a bad
 * key itself): `handle` behind the same CORS middleware as the app.
 *
 * @example
 * ```ts
 * export default { fetch: withSdkCors((request, env: Env) => route(request, env)) };
 * ```
 */
export function withSdkCors<E extends object>(
  handle: (request: Request, env: E) => Promise<Response>,
): (request: Request, env: E) => Promise<Response> {
  const edge = new Hono<{ Bindings: E }>();
  sdkCors(edge);
  edge.all("*", (c) => handle(c.req.raw, c.env));
  // What the host does with an unexpected error stays its own: nothing is turned into a 500 here.
  edge.onError((error) => {
    throw error;
  });
  return async (request, env) => edge.fetch(request, env);
}
