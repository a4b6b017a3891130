/**
 * Which failures of a planned mutation mean "someone else wrote first, plan again":
 * a primary-key collision on the change log or the audit chain, or a busy/locked
 * database. Drivers differ (libsql sets `code`, workerd only a message, drizzle wraps
 * errors in `cause`), so the whole cause chain is inspected.
 */
// Only key collisions: a NOT NULL or CHECK failure is a bug that no retry fixes.
const RETRYABLE_CODE = /^SQLITE_(CONSTRAINT_(PRIMARYKEY|UNIQUE)|BUSY|LOCKED)/;
const RETRYABLE_MESSAGE = /UNIQUE constraint failed|PRIMARY KEY constraint failed|database is locked|SQLITE_BUSY|SQLITE_LOCKED/i;

const BUSY_CODE = /^SQLITE_(BUSY|LOCKED)/;
const BUSY_MESSAGE = /database is locked|SQLITE_BUSY|SQLITE_LOCKED/i;

export function isRetryableWriteError(error: unknown): boolean {
  return inCauseChain(error, RETRYABLE_CODE, RETRYABLE_MESSAGE);
}

/** A busy or locked database: worth a retry by the caller (503), never a 500. */
export function isBusyError(error: unknown): boolean {
  return inCauseChain(error, BUSY_CODE, BUSY_MESSAGE);
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
