import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileFlag } from "../../src/evaluator/compile.js";
import { bucketOf } from "../../src/evaluator/hash.js";
import { resolveFlag } from "../../src/evaluator/resolve.js";
import type { WireFlag } from "../../src/model.js";

const options = { _staleAfterMs: 60_000, _now: () => 0 };

function rollout(weights: Record<string, number>, salt = "s", key = "f"): WireFlag {
  return {
    key, kind: "string", variants: { a: "A", b: "B", c: "C" }, enabled: true, offVariant: "c", failMode: "open", version: 1,
    rules: [], fallthrough: { rollout: { salt, weights } },
  };
}

/**
 * Keys of `model.x` with salt `r1` whose buckets are known without this code: found with
 * a separate MurmurHash3 x86_32 (written from the algorithm, checked against its published
 * vectors, e.g. "The quick brown fox jumps over the lazy dog" → 0x2e4ff723), as
 * murmur3("model.x.r1.<key>") % 100000.
 */
const KNOWN_BUCKETS: [key: string, bucket: number][] = [
  ["user-331763", 0],
  ["user-74900", 1],
  ["user-1", 40_692],
  ["user-33895", 99_998],
  ["user-59299", 99_999],
];
const keyIn = (bucket: number): string => KNOWN_BUCKETS.find(([, b]) => b === bucket)![0];

describe("rollout boundaries, on keys of known buckets", () => {
  const variantOf = (weights: Record<string, number>, bucket: number) =>
    resolveFlag(compileFlag("model.x", rollout(weights, "r1", "model.x"), new Map(), options), { key: keyIn(bucket) }, 0).variant;

  it.each(KNOWN_BUCKETS)("puts %s in bucket %i", (key, bucket) => {
    expect(bucketOf("model.x", "r1", key)).toBe(bucket);
  });

  it("never serves a 0 % weight, not even to bucket 0, first, in the middle or last", () => {
    expect(variantOf({ a: 0, b: 100_000 }, 0)).toBe("b");
    expect(variantOf({ a: 40_692, c: 0, b: 59_308 }, 40_692)).toBe("b");
    expect(variantOf({ a: 100_000, b: 0 }, 99_999)).toBe("a");
  });

  it("serves a 100 % weight to every bucket, the first and the last", () => {
    for (const bucket of [0, 1, 40_692, 99_998, 99_999]) expect(variantOf({ a: 0, b: 100_000, c: 0 }, bucket)).toBe("b");
  });

  it("gives a weight of w the buckets below w: the range's last bucket is w - 1", () => {
    expect(variantOf({ a: 1, b: 99_999 }, 0)).toBe("a");
    expect(variantOf({ a: 1, b: 99_999 }, 1)).toBe("b");
    expect(variantOf({ a: 40_692, b: 59_308 }, 40_692)).toBe("b");
    expect(variantOf({ a: 40_693, b: 59_307 }, 40_692)).toBe("a");
    expect(variantOf({ a: 99_999, b: 1 }, 99_998)).toBe("a");
    expect(variantOf({ a: 99_999, b: 1 }, 99_999)).toBe("b");
  });
});

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
