import { expect, it } from "vitest";
import { DEFAULT_RETRY, retryDelay } from "../../../src/core/webhooks/backoff.js";

it("waits exponentially longer after each failure, capped at 6 h, within ±25 % jitter", () => {
  const low = (n: number) => retryDelay(n, DEFAULT_RETRY, () => 0);
  const high = (n: number) => retryDelay(n, DEFAULT_RETRY, () => 0.999999);
  expect([1, 2, 3, 4].map(low)).toEqual([3_750, 11_250, 33_750, 101_250]);
  expect(high(1)).toBe(6_250);
  expect(low(20)).toBe(0.75 * 6 * 3_600_000);
  for (let n = 1; n < 8; n++) expect(low(n + 1)).toBeGreaterThan(low(n));
  expect(low(DEFAULT_RETRY.maxAttempts)).toBe(low(9));
});
