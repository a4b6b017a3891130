import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/core/canonical-json.js";

describe("canonicalJson", () => {
  it("sorts object keys at every depth and leaves arrays in order", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it("gives the same text for the same value whatever the key order", () => {
    expect(canonicalJson({ x: 1, y: [1, 2] })).toBe(canonicalJson(JSON.parse('{"y":[1,2],"x":1}')));
  });

  it("drops undefined fields, as JSON.stringify does", () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });
});
