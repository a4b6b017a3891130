import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonInputFaults, stringFault } from "../../src/core/json-input.js";

const nested = (depth: number): unknown => JSON.parse("[".repeat(depth) + "]".repeat(depth));

describe("jsonInputFaults: depth", () => {
  it("counts arrays and objects, not scalars", () => {
    expect(jsonInputFaults({ a: { b: [1, "x", null] } }, { maxDepth: 3 })).toEqual([]);
    expect(jsonInputFaults({ a: { b: [[]] } }, { maxDepth: 3 })).toEqual([{ path: "a.b[0]", message: "nests deeper than 3 levels", code: "too_deep" }]);
    expect(jsonInputFaults("text", { maxDepth: 0 })).toEqual([]);
  });

  it("handles 100,000 levels without overflowing", () => {
    expect(jsonInputFaults(nested(100_000))).toEqual([expect.objectContaining({ code: "too_deep" })]);
    expect(jsonInputFaults(nested(32))).toEqual([]);
    expect(jsonInputFaults(nested(33))).toHaveLength(1);
  });
});

describe("jsonInputFaults: strings", () => {
  it("refuses U+0000 in a value, naming its path", () => {
    expect(jsonInputFaults(JSON.parse('{"reason":"before\\u0000after"}'))).toEqual([
      { path: "reason", message: "contains U+0000 (NUL); remove it", code: "invalid_string" },
    ]);
  });

  it("refuses lone surrogates, high or low, and accepts paired ones", () => {
    expect(jsonInputFaults(JSON.parse('{"a":["ok","\\ud800"]}'))).toEqual([
      { path: "a[1]", message: "contains an unpaired UTF-16 surrogate (U+D800); send well-formed Unicode", code: "invalid_string" },
    ]);
    expect(jsonInputFaults(JSON.parse('["x\\udc00"]'))[0]?.message).toContain("U+DC00");
    expect(jsonInputFaults(JSON.parse('["\\ud800x\\udc00"]'))).toHaveLength(1);
    expect(jsonInputFaults(["😀 emoji", "e\u0301", "日本"])).toEqual([]);
  });

  it("checks keys as well as values, at any depth", () => {
    const faults = jsonInputFaults(JSON.parse('{"variants":{"a\\u0000b":1},"x":[{"y":{"\\udfff":2}}]}'));
    expect(faults.map((f) => f.path)).toEqual(['variants["a\\u0000b"]', 'x[0].y["\\udfff"]']);
    expect(faults.every((f) => f.code === "invalid_string" && f.message.startsWith("the name contains"))).toBe(true);
  });

  it("agrees with String.prototype.isWellFormed on every string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const wellFormed = (s as unknown as { isWellFormed(): boolean }).isWellFormed();
        expect(stringFault(s) === null).toBe(wellFormed && !s.includes("\0"));
      }),
      { numRuns: 500 },
    );
  });
});

describe("jsonInputFaults with the text parsed", () => {
  const unit = fc.oneof(
    fc.string({ unit: "binary", maxLength: 6 }),
    fc.constantFrom("__proto__", "constructor", "prototype", "\0", "\ud800", "\udc00", "A"),
  );
  const value = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: "small" }, unit, fc.integer(), fc.array(tie("node"), { maxLength: 4 }), fc.dictionary(unit, tie("node"), { maxKeys: 4 })),
  })).node;
  /** JSON.stringify escapes only what it must; this also escapes every `every`-th ordinary character, as other encoders may. */
  const escapeSome = (v: unknown, every: number): string => {
    const str = (text: string): string =>
      `"${[...text].map((c, i) => (i % every === 0 && /[A-Za-z_]/.test(c) ? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}` : JSON.stringify(c).slice(1, -1))).join("")}"`;
    if (typeof v === "string") return str(v);
    if (Array.isArray(v)) return `[${v.map((x) => escapeSome(x, every)).join(",")}]`;
    if (v !== null && typeof v === "object") return `{${Object.entries(v).map(([k, x]) => `${str(k)}:${escapeSome(x, every)}`).join(",")}}`;
    return JSON.stringify(v);
  };

  it("finds exactly what the full walk finds", () => {
    fc.assert(
      fc.property(value, fc.integer({ min: 1, max: 7 }), (v, every) => {
        for (const text of [JSON.stringify(v), escapeSome(v, every)]) {
          const parsed: unknown = JSON.parse(text);
          expect(jsonInputFaults(parsed, { text })).toEqual(jsonInputFaults(parsed));
        }
      }),
      { numRuns: 500 },
    );
  });

  it("still checks the depth of a text without suspects", () => {
    const text = "[".repeat(40) + "]".repeat(40);
    expect(jsonInputFaults(JSON.parse(text), { text })).toEqual([expect.objectContaining({ code: "too_deep" })]);
  });
});

describe("jsonInputFaults: names", () => {
  it.each(["__proto__", "constructor", "prototype"])("refuses the key %s anywhere", (name) => {
    const body = JSON.parse(`{"variants":{"on":true,"${name}":{"isAdmin":true}}}`);
    expect(jsonInputFaults(body)).toEqual([
      { path: `variants.${name}`, message: `"${name}" is not allowed as a field or name`, code: "forbidden_key" },
    ]);
    expect(jsonInputFaults(JSON.parse(`[{"a":[{"${name}":1}]}]`))[0]?.path).toBe(`[0].a[0].${name}`);
  });

  it("accepts those words as values", () => {
    expect(jsonInputFaults({ key: "constructor", values: ["__proto__", "prototype"] })).toEqual([]);
  });

  it("reports at most ten faults", () => {
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, "\0"]));
    expect(jsonInputFaults(many)).toHaveLength(10);
  });
});
