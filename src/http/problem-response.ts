/**
 * Turns every error into RFC 9457 `application/problem+json`, in one place.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { isBusyError } from "../core/db/retryable.js";
import { PROBLEM_TYPES, ProblemError, type Problem } from "../core/problem.js";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export function problemResponse(problem: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { "content-type": PROBLEM_CONTENT_TYPE, ...headers },
  });
}

export function errorToResponse(error: unknown, report: (error: unknown) => void): Response {
  if (error instanceof ProblemError) {
    const headers: Record<string, string> = {};
    if (error.kind === "unauthorized") headers["www-authenticate"] = 'Bearer realm="killswitch"';
    if (error.kind === "busy") headers["retry-after"] = "1";
    if (error.kind === "upgradeRequired") headers.upgrade = "websocket";
    // The unread rest of the body makes the connection unusable: tell the client not to reuse it.
    if (error.kind === "payloadTooLarge") headers.connection = "close";
    return problemResponse(error.toProblem(), headers);
  }
  if (error instanceof HTTPException && error.status < 500) {
    const kind = Object.values(PROBLEM_TYPES).find((t) => t.status === error.status);
    return problemResponse({
      type: kind?.type ?? "about:blank",
      title: kind?.title ?? "Error",
      status: error.status,
      detail: error.message || (kind?.title ?? "Error"),
    });
  }
  if (isBusyError(error)) {
    return errorToResponse(new ProblemError("busy", "The database is busy; retry the request."), report);
  }
  report(error);
  const { type, title, status } = PROBLEM_TYPES.internal;
  return problemResponse({ type, title, status, detail: "An internal error occurred; it has been logged." });
}

export function notFoundResponse(c: Context): Response {
  const path = new URL(c.req.url).pathname;
  return problemResponse(new ProblemError("notFound", `No route ${c.req.method} ${path}.`).toProblem());
}
