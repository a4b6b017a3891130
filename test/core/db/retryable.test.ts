import { describe, expect, it } from "vitest";
import { isBusyError, isRetryableWriteError } from "../../../src/core/db/retryable.js";

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe("retryable write errors", () => {
  it("are primary-key collisions and busy databases, found anywhere in the cause chain", () => {
    expect(isRetryableWriteError(withCode("x", "SQLITE_CONSTRAINT_PRIMARYKEY"))).toBe(true);
    expect(isRetryableWriteError(withCode("x", "SQLITE_BUSY"))).toBe(true);
    expect(isRetryableWriteError(new Error("wrapped", { cause: withCode("x", "SQLITE_LOCKED") }))).toBe(true);
    // workerd reports SQLite errors by message only.
    expect(isRetryableWriteError(new Error("UNIQUE constraint failed: change_log.tenant_id, change_log.env, change_log.version"))).toBe(true);
  });

  it("are not other failures", () => {
    expect(isRetryableWriteError(withCode("no such table: x", "SQLITE_ERROR"))).toBe(false);
    expect(isRetryableWriteError(new TypeError("undefined is not a function"))).toBe(false);
    expect(isRetryableWriteError("SQLITE_BUSY")).toBe(false);
  });
});

describe("busy errors", () => {
  it("are busy or locked databases only, not constraint failures", () => {
    expect(isBusyError(new Error("wrapped", { cause: withCode("x", "SQLITE_BUSY") }))).toBe(true);
    expect(isBusyError(new Error("database is locked"))).toBe(true);
    expect(isBusyError(withCode("x", "SQLITE_CONSTRAINT_PRIMARYKEY"))).toBe(false);
  });
});
