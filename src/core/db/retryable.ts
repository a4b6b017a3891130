/**
 * What a database error means for the caller. Drivers differ (libsql sets
 * `code`, workerd only a message, drizzle wraps errors in `cause`), so the whole
 * cause chain is inspected.
 *
 * - Retryable: "someone else wrote first, plan again": a primary-key collision
 *   on the change log or the audit chain, or a busy/locked database.
 * - A fault: the database cannot take writes for a reason outside the request
 *   (a full disk, a read-only file, a file it cannot open, an I/O error); the
 *   caller gets 503 and retries later, nothing is retried here.
 */
// Only key collisions: a NOT NULL or CHECK failure is a bug that no retry fixes.
const RETRYABLE_CODE = /^SQLITE_(CONSTRAINT_(PRIMARYKEY|UNIQUE)|BUSY|LOCKED)/;
const RETRYABLE_MESSAGE = /UNIQUE constraint failed|PRIMARY KEY constraint failed|database is locked|SQLITE_BUSY|SQLITE_LOCKED/i;

const BUSY_CODE = /^SQLITE_(BUSY|LOCKED)/;
const BUSY_MESSAGE = /database is locked|SQLITE_BUSY|SQLITE_LOCKED/i;

export type DatabaseFault = "full" | "readonly" | "unopenable" | "io";

const FAULTS: readonly [DatabaseFault, RegExp, RegExp][] = [
  ["full", /^SQLITE_FULL/, /database or disk is full|SQLITE_FULL/i],
  ["readonly", /^SQLITE_READONLY/, /readonly database|SQLITE_READONLY/i],
  ["unopenable", /^SQLITE_CANTOPEN/, /unable to open database file|SQLITE_CANTOPEN/i],
  ["io", /^SQLITE_IOERR/, /disk I\/O error|SQLITE_IOERR/i],
];

/** What a 503 for each fault tells the caller. */
export const FAULT_DETAIL: Record<DatabaseFault, string> = {
  full: "The database's disk is full; nothing was written. Retry once space has been freed.",
  readonly: "The database is read-only (file or directory permissions); nothing was written. Retry once it is writable.",
  unopenable: "The database file cannot be opened (deleted, moved or inaccessible); nothing was written.",
  io: "The database reported an I/O error; nothing was written. Retry later.",
};

export function isRetryableWriteError(error: unknown): boolean {
  return inCauseChain(error, RETRYABLE_CODE, RETRYABLE_MESSAGE);
}

/** A busy or locked database: worth a retry by the caller (503), never a 500. */
export function isBusyError(error: unknown): boolean {
  return inCauseChain(error, BUSY_CODE, BUSY_MESSAGE);
}

/** The fault an error reports, or null when it is none (a bug, a race, a busy lock). */
export function databaseFault(error: unknown): DatabaseFault | null {
  for (const [fault, code, message] of FAULTS) if (inCauseChain(error, code, message)) return fault;
  return null;
}

function inCauseChain(error: unknown, codes: RegExp, messages: RegExp): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && codes.test(code)) return true;
    if (messages.test(current.message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
