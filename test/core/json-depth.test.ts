import { describe, expect, it } from "vitest";
import { jsonDepthExceeds } from "../../src/core/json-depth.js";

const nested = (depth: number): unknown => JSON.parse("[".repeat(depth) + "]".repeat(depth));

describe("jsonDepthExceeds", () => {
  it("counts arrays and objects, not scalars", () => {
    expect(jsonDepthExceeds({ a: { b: [1, "x", null] } }, 3)).toBe(false);
    expect(jsonDepthExceeds({ a: { b: [[]] } }, 3)).toBe(true);
    expect(jsonDepthExceeds("text", 0)).toBe(false);
  });

  it("handles 100,000 levels without overflowing", () => {
    expect(jsonDepthExceeds(nested(100_000))).toBe(true);
    expect(jsonDepthExceeds(nested(32))).toBe(false);
  });
});
