/**
 * Request ids and log lines at the Worker, before any tenant's object. Every
 * request gets an id here (the caller's plain `X-Request-Id`, else a new one),
 * which travels to the object in the same header, so the object's log line and
 * answer carry it. A request the Worker answers itself (health, a refused key,
 * an unknown route, a CORS preflight) is logged here; one its tenant's object
 * answered through the app is logged there, with its tenant and key, and not
 * twice: such an answer already carries the id.
 */
import { UNMATCHED_ROUTE } from "../core/metrics-catalog.js";
import { OPERATIONS } from "../http/openapi.js";
import { REQUEST_ID_HEADER, requestIdOf } from "../http/observe-requests.js";
import { errorField, logLine } from "./json-log.js";

type Handler<E> = (request: Request, env: E) => Promise<Response>;

const ROUTES = OPERATIONS.map((op) => ({
  method: op.method.toUpperCase(),
  route: op.path,
  pattern: new RegExp(`^${op.path.replace(/\{\w+\}/g, "[^/]+")}$`),
}));

/** The documented route a path matches, as the object's log would name it. */
export function edgeRoute(method: string, pathname: string): string {
  const wanted = method === "HEAD" ? "GET" : method;
  return ROUTES.find((r) => r.method === wanted && r.pattern.test(pathname))?.route ?? UNMATCHED_ROUTE;
}

export function observeEdge<E>(handle: Handler<E>): Handler<E> {
  return async (incoming, env) => {
    const started = performance.now();
    const requestId = requestIdOf(incoming.headers.get(REQUEST_ID_HEADER));
    const headers = new Headers(incoming.headers);
    headers.set(REQUEST_ID_HEADER, requestId);
    const request = new Request(incoming, { headers });
    const line = (status: number) => ({
      reqId: requestId,
      method: request.method,
      route: edgeRoute(request.method, new URL(request.url).pathname),
      status,
      ms: Math.round((performance.now() - started) * 100) / 100,
    });
    let response: Response;
    try {
      response = await handle(request, env);
    } catch (error) {
      // The runtime answers 500; the failure is logged once, here, with the request's id.
      logLine("error", "request failed", { ...line(500), err: errorField(error) });
      throw error;
    }
    // Answered by an object's app, which logged it.
    if (response.headers.has(REQUEST_ID_HEADER)) return response;
    try {
      response.headers.set(REQUEST_ID_HEADER, requestId);
    } catch {
      // Immutable headers: the answer goes without the id, the log line still has it.
    }
    logLine(response.status >= 500 ? "error" : "info", "request", line(response.status));
    return response;
  };
}
