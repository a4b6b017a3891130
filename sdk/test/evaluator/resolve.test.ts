import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileFlag } from "../../src/evaluator/compile.js";
import { bucketOf } from "../../src/evaluator/hash.js";
import { resolveFlag } from "../../src/evaluator/resolve.js";
import type { WireFlag } from "../../src/model.js";

const options = { _staleAfterMs: 60_000, _now: () => 0 };

function rollout(weights: Record<string, number>, salt = "s"): WireFlag {
  return {
    key: "f", kind: "string", variants: { a: "A", b: "B", c: "C" }, enabled: true, offVariant: "c", failMode: "open", version: 1,
    rules: [], fallthrough: { rollout: { salt, weights } },
  };
}

describe("resolveFlag", () => {
  it("serves the variant whose bucket range holds the key's bucket, ranges in weights order", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 100_000 }), fc.string({ minLength: 1 }), (x, y, key) => {
        const [lo, hi] = x < y ? [x, y] : [y, x];
        const weights = { b: lo, c: hi - lo, a: 100_000 - hi };
        const f = compileFlag("f", rollout(weights), new Map(), options);
        const bucket = bucketOf("f", "s", key);
        const expected = bucket < lo ? "b" : bucket < hi ? "c" : "a";
        expect(resolveFlag(f, { key }, 0).variant).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it("returns the CACHED twin when stale and fail-open, and the fresh result otherwise", () => {
    const f = compileFlag("f", { ...rollout({ a: 100_000 }), staleAfterMs: 1_000 }, new Map(), options);
    expect(resolveFlag(f, { key: "u" }, 999)).toBe(f._fallthrough._rollout!._res[0]);
    expect(resolveFlag(f, { key: "u" }, 1_000)).toBe(f._fallthrough._rollout!._cached[0]);
    expect(resolveFlag(f, {}, 1_000)).toEqual({ value: "C", variant: "c", reason: "CACHED" });
  });

  it("returns the STALE result of a fail-closed flag without evaluating rules", () => {
    const f = compileFlag("f", { ...rollout({ a: 100_000 }), failMode: "closed", staleAfterMs: 1_000 }, new Map(), options);
    expect(resolveFlag(f, { key: "u" }, 1_000)).toBe(f._stale);
  });
});
