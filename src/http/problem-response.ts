/**
 * Turns every error into RFC 9457 `application/problem+json`, in one place.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { FAULT_DETAIL, databaseFault, isBusyError } from "../core/db/retryable.js";
import { PROBLEM_TYPES, ProblemError, type Problem, type ProblemKind } from "../core/problem.js";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** Seconds to wait before retrying a 503: a lock frees quickly; a full or read-only disk needs someone to act. */
const RETRY_AFTER: Partial<Record<ProblemKind, string>> = { busy: "1", unavailable: "5" };

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
    const retryAfter = RETRY_AFTER[error.kind];
    if (retryAfter !== undefined) headers["retry-after"] = retryAfter;
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
  // Not logged here: the host reports a fault once when it starts and once when it ends.
  const fault = databaseFault(error);
  if (fault !== null) return errorToResponse(new ProblemError("unavailable", FAULT_DETAIL[fault]), report);
  report(error);
  const { type, title, status } = PROBLEM_TYPES.internal;
  return problemResponse({ type, title, status, detail: "An internal error occurred; it has been logged." });
}

export function notFoundResponse(c: Context): Response {
  const path = new URL(c.req.url).pathname;
  return problemResponse(new ProblemError("notFound", `No route ${c.req.method} ${path}.`).toProblem());
}
