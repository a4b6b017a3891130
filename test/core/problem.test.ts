import { describe, expect, it } from "vitest";
import { invalid, PROBLEM_TYPES, ProblemError } from "../../src/core/problem.js";

describe("ProblemError", () => {
  it("renders RFC 9457 problem details with a stable type", () => {
    expect(new ProblemError("staleVersion", "Flag is at 13, not 12.").toProblem()).toEqual({
      type: "https://killswitch.dev/problems/stale-version",
      title: "Stale version",
      status: 409,
      detail: "Flag is at 13, not 12.",
    });
  });

  it("summarizes field errors in detail and lists them all", () => {
    const error = invalid([
      { path: "rules[0].when[0].values[0]", message: '"us" is not a code', code: "custom" },
      { path: "offVariant", message: "no variant", code: "unknown_variant" },
    ]);
    expect(error.status).toBe(400);
    expect(error.toProblem()).toMatchObject({
      detail: 'rules[0].when[0].values[0]: "us" is not a code (and 1 more)',
      errors: [expect.objectContaining({ path: "rules[0].when[0].values[0]" }), expect.objectContaining({ path: "offVariant" })],
    });
  });

  it("keeps its problem types unique", () => {
    const types = Object.values(PROBLEM_TYPES).map((t) => t.type);
    expect(new Set(types).size).toBe(types.length);
  });
});
