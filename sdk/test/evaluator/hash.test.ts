import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bucketFrom, bucketOf, BUCKETS, murmur3, prefixOf } from "../../src/evaluator/hash.js";

/** MurmurHash3 x86_32, seed 0, over bytes: the textbook form, block by block. */
function reference(bytes: Uint8Array): number {
  const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));
  let h = 0;
  const blocks = bytes.length >> 2;
  for (let i = 0; i < blocks; i++) {
    let k = bytes[4 * i]! | (bytes[4 * i + 1]! << 8) | (bytes[4 * i + 2]! << 16) | (bytes[4 * i + 3]! << 24);
    k = Math.imul(rotl(Math.imul(k, 0xcc9e2d51), 15), 0x1b873593);
    h = (Math.imul(rotl(h ^ k, 13), 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  for (let i = bytes.length - 1; i >= blocks * 4; i--) k = (k << 8) | bytes[i]!;
  if (bytes.length & 3) h ^= Math.imul(rotl(Math.imul(k, 0xcc9e2d51), 15), 0x1b873593);
  h ^= bytes.length;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

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

  it("encodes the code points at each boundary of UTF-8's lengths with the right number of bytes", () => {
    for (const s of ["\u007f", "\u0080", "\u07ff", "\u0800", "\uffff", "\u{10000}", "\u{10ffff}"]) {
      expect(murmur3(s), `U+${s.codePointAt(0)!.toString(16)}`).toBe(reference(new TextEncoder().encode(s)));
    }
  });

  it("reads U+FFFF, the last code point of one code unit, as one: the next character is hashed too", () => {
    for (const s of ["\uffffx", "a\uffff\uffffb", "\uffff\ud83d\ude00"]) expect(murmur3(s)).toBe(reference(new TextEncoder().encode(s)));
    expect(murmur3("\uffffx")).not.toBe(murmur3("\uffffy"));
  });

  it("encodes a lone surrogate as U+FFFD, like TextEncoder", () => {
    expect(murmur3("\ud800")).toBe(murmur3("\ufffd"));
    expect(murmur3("a\udc00b")).toBe(murmur3("a\ufffdb"));
    expect(murmur3("\ud83d")).not.toBe(murmur3("\ud83d\ude00"));
  });

  it("hashes the UTF-8 bytes TextEncoder gives, for any string (lone surrogates included)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        expect(murmur3(s)).toBe(reference(new TextEncoder().encode(s)));
      }),
      { numRuns: 1000 },
    );
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

  it("hashes the prefix and the value in turn with the same result as hashing the whole string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (flagKey, salt, value) => {
        const expected = murmur3(`${flagKey}.${salt}.${value}`) % BUCKETS;
        expect(bucketFrom(prefixOf(flagKey, salt), value)).toBe(expected);
        expect(bucketOf(flagKey, salt, value)).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it("gives the same bucket however often and in whatever order it is asked", () => {
    const prefix = prefixOf("f", "salt");
    const first = bucketFrom(prefix, "user-1");
    bucketFrom(prefixOf("another flag", ""), "another user with a long key");
    murmur3("a string whose length is not a multiple of four");
    expect(bucketFrom(prefix, "user-1")).toBe(first);
  });

  it("depends on the flag key, the salt and the value", () => {
    const b = bucketOf("f", "s", "user-1");
    expect([bucketOf("g", "s", "user-1"), bucketOf("f", "t", "user-1"), bucketOf("f", "s", "user-2")]).not.toContain(b);
  });
});
