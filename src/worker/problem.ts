import { ProblemError, type ProblemKind } from "../core/problem.js";
import { errorToResponse } from "../http/problem-response.js";

/**
 * An RFC 9457 response the Worker, or an object before the app runs, answers
 * itself: made by the shared app's own error mapping, so both hosts answer
 * the same types and headers.
 */
export function problem(kind: ProblemKind, detail: string): Response {
  return errorToResponse(new ProblemError(kind, detail), () => {});
}
