import { describe, expect, it } from "vitest";
import { databaseFault, isBusyError, isRetryableWriteError } from "../../../src/core/db/retryable.js";

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe("retryable write errors", () => {
  it("are primary-key collisions and busy databases, found anywhere in the cause chain", () => {
    expect(isRetryableWriteError(withCode("x", "SQLITE_CONSTRAINT_PRIMARYKEY"))).toBe(true);
    // libsql's shape for a key collision: the generic code on top, the extended one in the cause.
    const collision = Object.assign(new Error("SQLITE_CONSTRAINT: UNIQUE constraint failed: t.a"), {
      code: "SQLITE_CONSTRAINT",
      cause: withCode("UNIQUE constraint failed: t.a", "SQLITE_CONSTRAINT_PRIMARYKEY"),
    });
    expect(isRetryableWriteError(collision)).toBe(true);
    expect(isRetryableWriteError(withCode("x", "SQLITE_BUSY"))).toBe(true);
    expect(isRetryableWriteError(new Error("wrapped", { cause: withCode("x", "SQLITE_LOCKED") }))).toBe(true);
    // workerd reports SQLite errors by message only.
    expect(isRetryableWriteError(new Error("UNIQUE constraint failed: change_log.tenant_id, change_log.env, change_log.version"))).toBe(true);
  });

  it("are not other failures", () => {
    expect(isRetryableWriteError(withCode("no such table: x", "SQLITE_ERROR"))).toBe(false);
    expect(isRetryableWriteError(new TypeError("undefined is not a function"))).toBe(false);
    expect(isRetryableWriteError("SQLITE_BUSY")).toBe(false);
    // libsql's shape for a NOT NULL failure: a bug, not a race; retrying would end in a false 503.
    const notNull = Object.assign(new Error("SQLITE_CONSTRAINT: NOT NULL constraint failed: t.b"), {
      code: "SQLITE_CONSTRAINT",
      cause: withCode("NOT NULL constraint failed: t.b", "SQLITE_CONSTRAINT_NOTNULL"),
    });
    expect(isRetryableWriteError(notNull)).toBe(false);
  });
});

describe("busy errors", () => {
  it("are busy or locked databases only, not constraint failures", () => {
    expect(isBusyError(new Error("wrapped", { cause: withCode("x", "SQLITE_BUSY") }))).toBe(true);
    expect(isBusyError(new Error("database is locked"))).toBe(true);
    expect(isBusyError(withCode("x", "SQLITE_CONSTRAINT_PRIMARYKEY"))).toBe(false);
  });
});

describe("database faults", () => {
  it("name the fault, by code or by message, anywhere in the cause chain", () => {
    expect(databaseFault(withCode("SQLITE_FULL: database or disk is full", "SQLITE_FULL"))).toBe("full");
    expect(databaseFault(new Error("wrapped", { cause: withCode("x", "SQLITE_READONLY") }))).toBe("readonly");
    expect(databaseFault(withCode("x", "SQLITE_READONLY_DBMOVED"))).toBe("readonly");
    expect(databaseFault(new Error("unable to open database file"))).toBe("unopenable");
    expect(databaseFault(withCode("x", "SQLITE_IOERR_WRITE"))).toBe("io");
  });

  it("are not busy locks, races or bugs", () => {
    expect(databaseFault(withCode("database is locked", "SQLITE_BUSY"))).toBeNull();
    expect(databaseFault(withCode("x", "SQLITE_CONSTRAINT_PRIMARYKEY"))).toBeNull();
    expect(databaseFault(withCode("no such table: x", "SQLITE_ERROR"))).toBeNull();
    expect(databaseFault(new TypeError("undefined is not a function"))).toBeNull();
  });
});
