/**
 * RFC 9457 problem details: the one error type of the service. The core throws it
 * for anything a caller can fix (missing entity, bad input, stale version); the
 * HTTP layer turns it into `application/problem+json` in one place.
 */

const BASE = "https://killswitch.dev/problems/";

/** Stable problem types: clients may switch on them. */
export const PROBLEM_TYPES = {
  validation: { type: `${BASE}validation`, title: "Invalid request", status: 400 },
  malformedJson: { type: `${BASE}malformed-json`, title: "Malformed JSON", status: 400 },
  unauthorized: { type: `${BASE}unauthorized`, title: "Unauthorized", status: 401 },
  forbidden: { type: `${BASE}forbidden`, title: "Forbidden", status: 403 },
  notFound: { type: `${BASE}not-found`, title: "Not found", status: 404 },
  conflict: { type: `${BASE}conflict`, title: "Conflict", status: 409 },
  staleVersion: { type: `${BASE}stale-version`, title: "Stale version", status: 409 },
  payloadTooLarge: { type: `${BASE}payload-too-large`, title: "Payload too large", status: 413 },
  unsupportedMediaType: { type: `${BASE}unsupported-media-type`, title: "Unsupported media type", status: 415 },
  upgradeRequired: { type: `${BASE}upgrade-required`, title: "Upgrade required", status: 426 },
  busy: { type: `${BASE}busy`, title: "Busy", status: 503 },
  unavailable: { type: `${BASE}unavailable`, title: "Unavailable", status: 503 },
  internal: { type: `${BASE}internal`, title: "Internal error", status: 500 },
} as const;

export type ProblemKind = keyof typeof PROBLEM_TYPES;

/** One field's error: `path` in `rules[2].when[0].values` form. */
export interface FieldError {
  path: string;
  message: string;
  code: string;
}

/** The body of a problem response. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

export class ProblemError extends Error {
  readonly kind: ProblemKind;
  readonly errors: FieldError[] | undefined;

  constructor(kind: ProblemKind, detail: string, errors?: FieldError[]) {
    super(detail);
    this.name = "ProblemError";
    this.kind = kind;
    this.errors = errors;
  }

  get status(): number {
    return PROBLEM_TYPES[this.kind].status;
  }

  toProblem(): Problem {
    const { type, title, status } = PROBLEM_TYPES[this.kind];
    const problem: Problem = { type, title, status, detail: this.message };
    if (this.errors && this.errors.length > 0) problem.errors = this.errors;
    return problem;
  }
}

export const notFound = (detail: string): ProblemError => new ProblemError("notFound", detail);
export const conflict = (detail: string): ProblemError => new ProblemError("conflict", detail);
export const forbidden = (detail: string): ProblemError => new ProblemError("forbidden", detail);
export const unauthorized = (detail: string): ProblemError => new ProblemError("unauthorized", detail);

/** A 400 with one or more field errors; `detail` summarizes the first. */
export function invalid(errors: FieldError[]): ProblemError {
  const first = errors[0];
  const detail = first
    ? `${first.path ? `${first.path}: ` : ""}${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ""}`
    : "The request is invalid.";
  return new ProblemError("validation", detail, errors);
}

/** A 400 about one field. */
export const invalidField = (path: string, message: string, code = "invalid_reference"): ProblemError =>
  invalid([{ path, message, code }]);
