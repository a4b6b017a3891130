import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bucketFrom, bucketOf, BUCKETS, murmur3, prefixState } from "../../src/evaluator/hash.js";

describe("murmur3", () => {
  // Reference values of MurmurHash3_x86_32 with seed 0 over the UTF-8 bytes (checked
  // against the murmurhash3js reference implementation).
  it.each([
    ["", 0x00000000],
    ["a", 0x3c2569b2],
    ["ab", 0x9bbfd75f],
    ["abc", 0xb3dd93fa],
    ["abcd", 0x43ed676a],
    ["abcde", 0xe89b9af6],
    ["hello", 0x248bfa47],
    ["The quick brown fox jumps over the lazy dog", 0x2e4ff723],
    ["é", 0x10110787],
    ["日本語", 0xa5a47297],
    ["😀x", 0x721ce13e],
  ])("hashes %j to the reference value", (input, expected) => {
    expect(murmur3(input)).toBe(expected);
  });

  it("encodes a lone surrogate as U+FFFD, like TextEncoder", () => {
    expect(murmur3("\ud800")).toBe(murmur3("\ufffd"));
    expect(murmur3("a\udc00b")).toBe(murmur3("a\ufffdb"));
    expect(murmur3("\ud83d")).not.toBe(murmur3("\ud83d\ude00"));
  });

  it("returns an unsigned 32-bit integer", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const h = murmur3(s);
        expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe("bucketOf", () => {
  it("is murmur3 of `${flagKey}.${salt}.${value}` modulo 100,000", () => {
    expect(bucketOf("model.fable-5", "r3", "user-42")).toBe(0x294ec2ad % BUCKETS);
    expect(bucketOf("model.fable-5", "r3", "user-42")).toBe(27_501);
  });

  it("streams the value onto a precomputed prefix with the same result as hashing the whole string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (flagKey, salt, value) => {
        const expected = murmur3(`${flagKey}.${salt}.${value}`) % BUCKETS;
        expect(bucketFrom(prefixState(flagKey, salt), value)).toBe(expected);
        expect(bucketOf(flagKey, salt, value)).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it("reuses a prefix state any number of times without it changing", () => {
    const state = prefixState("f", "salt");
    const copy = [...state];
    const first = bucketFrom(state, "user-1");
    bucketFrom(state, "another user with a long key");
    expect(bucketFrom(state, "user-1")).toBe(first);
    expect([...state]).toEqual(copy);
  });

  it("depends on the flag key, the salt and the value", () => {
    const b = bucketOf("f", "s", "user-1");
    expect([bucketOf("g", "s", "user-1"), bucketOf("f", "t", "user-1"), bucketOf("f", "s", "user-2")]).not.toContain(b);
  });
});
