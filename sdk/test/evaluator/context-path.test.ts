import { describe, expect, it } from "vitest";
import { asContext, compilePath, readPath } from "../../src/evaluator/context-path.js";

const read = (ctx: Record<string, unknown>, attribute: string) => readPath(ctx, attribute, compilePath(attribute)!);

describe("asContext", () => {
  it("reads an object as it is", () => {
    const ctx = { key: "u" };
    expect(asContext(ctx)).toBe(ctx);
  });

  it.each([null, undefined, "abc", 5, true])("reads %j as an empty context: no attribute of a string or number", (c) => {
    const ctx = asContext(c);
    expect(ctx).toEqual({});
    expect(readPath(ctx, "length", compilePath("length")!)).toBeUndefined();
  });
});

describe("compilePath", () => {
  it("reads a plain name directly (no segments)", () => {
    expect(compilePath("nationality")).toBeUndefined();
  });

  it("splits a dotted path", () => {
    expect(compilePath("org.hq.country")).toEqual(["org", "hq", "country"]);
  });

  it("sends names that live on Object.prototype through the careful route", () => {
    expect(compilePath("constructor")).toEqual(["constructor"]);
    expect(compilePath("__proto__")).toEqual(["__proto__"]);
  });

  it.each(["", ".a", "a.", "a..b", 5, null, undefined])("refuses %j", (attribute) => {
    expect(compilePath(attribute)).toBeNull();
  });
});

describe("readPath", () => {
  it("reads nested objects by a dotted path", () => {
    expect(read({ org: { hq: { country: "US" } } }, "org.hq.country")).toBe("US");
  });

  it("finds nothing through a missing or non-object parent", () => {
    expect(read({}, "org.country")).toBeUndefined();
    expect(read({ org: "acme" }, "org.country")).toBeUndefined();
    expect(read({ org: null }, "org.country")).toBeUndefined();
  });

  it("falls back to a flattened key spelled with dots", () => {
    expect(read({ "org.country": "US" }, "org.country")).toBe("US");
    expect(read({ org: { country: "FR" }, "org.country": "US" }, "org.country")).toBe("FR");
  });

  it("never reads inherited properties on the careful route", () => {
    expect(read({}, "constructor")).toBeUndefined();
    expect(read({ org: {} }, "org.toString")).toBeUndefined();
    expect(read({ constructor: "own" }, "constructor")).toBe("own");
  });

  it("reads array elements by index", () => {
    expect(read({ tags: ["a", "b"] }, "tags.1")).toBe("b");
  });
});
