/**
 * Vitest setup file: when a test file ends, after its own afterAll hooks have
 * stopped its servers, checks every log it captured (log-audit.ts).
 */
import { afterAll, expect } from "vitest";
import { checkCapturedLogs } from "./log-audit.js";

afterAll(() => {
  expect(checkCapturedLogs(), "the server logs this file captured").toEqual([]);
});
