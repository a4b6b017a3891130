import { expect, it } from "vitest";
import { SignInLimiter } from "../../../src/http/console/sign-in-limiter.js";
import { safeNext } from "../../../src/http/console/sign-in.js";

it("refuses an address after its allowance of failures, until its window ends, and counts addresses apart", () => {
  let now = 0;
  const limiter = new SignInLimiter({ maxFailures: 3, windowMs: 60_000 }, () => now);
  for (let i = 0; i < 3; i++) {
    expect(limiter.retryAfter("a")).toBe(0);
    limiter.failed("a");
  }
  expect(limiter.retryAfter("a")).toBe(60);
  expect(limiter.retryAfter("b")).toBe(0);
  now = 59_001;
  expect(limiter.retryAfter("a")).toBe(1);
  now = 60_000;
  expect(limiter.retryAfter("a")).toBe(0);
});

it("returns only to a console path after signing in", () => {
  expect(safeNext("/console/envs/production/flags/model.fable-5?change=4")).toBe("/console/envs/production/flags/model.fable-5?change=4");
  for (const bad of ["https://evil.example/console", "//evil.example/console", "/console//evil", "/v1/keys", "/consoleX", "/console/\\evil", 42, undefined]) {
    expect(safeNext(bad), String(bad)).toBe("/console");
  }
});
