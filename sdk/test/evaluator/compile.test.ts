import { describe, expect, it } from "vitest";
import { compileFlag, compileSegment, type CFlag } from "../../src/evaluator/compile.js";
import type { CSeg } from "../../src/evaluator/conditions.js";
import type { Condition, Segment, WireFlag } from "../../src/model.js";

const now = () => 0;
const options = { _staleAfterMs: 60_000, _now: now };

function flag(o: Partial<WireFlag> = {}): WireFlag {
  return { key: "f", kind: "boolean", variants: { on: true, off: false }, enabled: true, offVariant: "off", rules: [], fallthrough: { variant: "on" }, failMode: "open", version: 1, ...o };
}
const withCondition = (...when: Condition[]) => flag({ rules: [{ id: "r1", when, serve: { variant: "off" } }] });
const compile = (f: unknown, segments = new Map<string, CSeg>()): CFlag => compileFlag("f", f as WireFlag, segments, options);
const first = (f: CFlag) => f._rules[0]!._when[0]!;

describe("compileFlag", () => {
  it("turns an in list longer than eight values into a Set and keeps short ones for a scan", () => {
    const long = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    expect(first(compile(withCondition({ attribute: "x", op: "in", values: long })))._set).toEqual(new Set(long));
    expect(first(compile(withCondition({ attribute: "x", op: "notIn", values: long.slice(0, 8) })))._set).toBeUndefined();
  });

  it("reduces lt/lte/before to the largest value and gt/gte/after to the smallest", () => {
    expect(first(compile(withCondition({ attribute: "x", op: "lt", values: [10, 20] })))._bound).toBe(20);
    expect(first(compile(withCondition({ attribute: "x", op: "gte", values: [10, 20] })))._bound).toBe(10);
    const dates = ["2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z"];
    expect(first(compile(withCondition({ attribute: "x", op: "before", values: dates })))._bound).toBe(Date.parse(dates[1]!));
    expect(first(compile(withCondition({ attribute: "x", op: "after", values: dates })))._bound).toBe(Date.parse(dates[0]!));
  });

  it("makes a Set for long notIn lists too, and for no other operator", () => {
    const long = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    expect(first(compile(withCondition({ attribute: "x", op: "notIn", values: long })))._set).toEqual(new Set(long));
    expect(first(compile(withCondition({ attribute: "x", op: "startsWith", values: long })))._set).toBeUndefined();
  });

  it("accepts booleans and numbers in in and notIn lists", () => {
    expect(first(compile(withCondition({ attribute: "x", op: "notIn", values: [true, 3] })))._values).toEqual([true, 3]);
    expect(first(compile(withCondition({ attribute: "x", op: "in", values: [false, 0] })))._values).toEqual([false, 0]);
  });

  it("reduces lte to the largest value and gt to the smallest; other operators keep no bound", () => {
    expect(first(compile(withCondition({ attribute: "x", op: "lte", values: [10, 20] })))._bound).toBe(20);
    expect(first(compile(withCondition({ attribute: "x", op: "gt", values: [10, 20] })))._bound).toBe(10);
    expect(first(compile(withCondition({ attribute: "x", op: "in", values: [10, 20] })))._bound).toBe(0);
    expect(first(compile(withCondition({ attribute: "v", op: "semverLt", values: ["1.0.0"] })))._bound).toBe(0);
  });

  it("parses semver values once", () => {
    expect(first(compile(withCondition({ attribute: "v", op: "semverLt", values: ["1.2.3-rc.1"] })))._values).toEqual([["1", "2", "3", "rc", "1"]]);
  });

  it("gives the clock only to currentTime with before or after", () => {
    expect(first(compile(withCondition({ attribute: "currentTime", op: "before", values: ["2026-01-01"] })))._clock).toBe(now);
    expect(first(compile(withCondition({ attribute: "signedUpAt", op: "before", values: ["2026-01-01"] })))._clock).toBeUndefined();
    expect(first(compile(withCondition({ attribute: "currentTime", op: "exists" })))._clock).toBeUndefined();
    // A number compared with currentTime is the context's value alone: the clock is an instant, not a number.
    for (const op of ["lt", "lte", "gt", "gte"] as const) expect(first(compile(withCondition({ attribute: "currentTime", op, values: [0] })))._clock).toBeUndefined();
  });

  it("resolves segment references to the compiled segments and records them", () => {
    const s = compileSegment("s", { key: "s", include: ["u"], exclude: [], rules: [], version: 1 }, now);
    const f = compile(withCondition({ segment: ["s"] }), new Map([["s", s]]));
    expect(first(f)._segments![0]).toBe(s);
    expect([...f._refs]).toEqual(["s"]);
  });

  it("takes a flag's own staleness limit, else the option's", () => {
    expect(compile(flag({ staleAfterMs: 5_000 }))._staleAfter).toBe(5_000);
    expect(compile(flag())._staleAfter).toBe(60_000);
  });

  it("fails closed only when the flag says closed", () => {
    expect(compile(flag({ failMode: "closed" }))._closed).toBe(true);
    expect(compile(flag({ failMode: "open" }))._closed).toBe(false);
    expect(compile(flag({ failMode: undefined }))._closed).toBe(false);
  });

  it("serves the fallthrough as STATIC when the flag has no rule, else as DEFAULT", () => {
    expect(compile(flag())._fallthrough._res.reason).toBe("STATIC");
    expect(compile(withCondition({ attribute: "x", op: "exists" }))._fallthrough._res.reason).toBe("DEFAULT");
  });

  it("compiles a rollout: bucketed by key under the prefix `flag.salt.`, cumulative bounds in the weights' order", () => {
    const f = compile(flag({ fallthrough: { rollout: { weights: { off: 0, on: 25_000, both: 75_000 } } }, variants: { on: true, off: false, both: true } as never }));
    const rollout = f._fallthrough._rollout!;
    expect(rollout._attr).toBe("key");
    expect(rollout._path).toBeUndefined();
    expect(rollout._prefix).toBe("f..");
    expect(rollout._cum).toEqual([0, 25_000, 100_000]);
    expect(rollout._res).toEqual([
      { value: false, variant: "off", reason: "SPLIT" },
      { value: true, variant: "on", reason: "SPLIT" },
      { value: true, variant: "both", reason: "SPLIT" },
    ]);
    expect(rollout._cached.map((r) => r.reason)).toEqual(["CACHED", "CACHED", "CACHED"]);
    // Without a bucket (no value to hash), the off variant.
    expect(f._fallthrough._res).toEqual({ value: false, variant: "off", reason: "DEFAULT" });
    expect(f._fallthrough._cached).toEqual({ value: false, variant: "off", reason: "CACHED" });
    const salted = compile(flag({ fallthrough: { rollout: { bucketBy: "org.id", salt: "r2", weights: { on: 100_000 } } } }))._fallthrough._rollout!;
    expect([salted._attr, salted._path, salted._prefix]).toEqual(["org.id", ["org", "id"], "f.r2."]);
  });

  it("builds every result up front, frozen, with a CACHED twin that keeps the rule id", () => {
    const f = compile(withCondition({ attribute: "x", op: "exists" }));
    const serve = f._rules[0]!._serve;
    expect(serve._res).toEqual({ value: false, variant: "off", reason: "TARGETING_MATCH", ruleId: "r1" });
    expect(serve._cached).toEqual({ value: false, variant: "off", reason: "CACHED", ruleId: "r1" });
    expect(Object.isFrozen(serve._res)).toBe(true);
    expect(f._off).toEqual({ value: false, variant: "off", reason: "DISABLED" });
    expect(f._stale).toEqual({ value: false, variant: "off", reason: "STALE" });
  });

  it("serves a frozen copy of a json variant, unaffected by later changes to the input", () => {
    const input = { key: "f", kind: "json", variants: { a: { models: ["x"] } }, enabled: true, offVariant: "a", rules: [], fallthrough: { variant: "a" }, failMode: "open", version: 1 } as WireFlag;
    const f = compile(input);
    (input.variants.a as { models: string[] }).models.push("y");
    expect(f._fallthrough._res.value).toEqual({ models: ["x"] });
    expect(Object.isFrozen((f._fallthrough._res.value as { models: string[] }).models)).toBe(true);
  });

  it("keeps a __proto__ key of a json variant as data", () => {
    const variants = JSON.parse('{"a": {"__proto__": {"polluted": true}}}');
    const f = compile({ ...flag(), kind: "json", variants, offVariant: "a", fallthrough: { variant: "a" } });
    const value = f._fallthrough._res.value as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(["__proto__"]);
    expect(value.polluted).toBeUndefined();
  });

  it.each([
    ["an unknown operator", withCondition({ attribute: "x", op: "regex" as never, values: ["a"] }), "invalid op"],
    ["a wrong-typed value", withCondition({ attribute: "x", op: "lt", values: [1, "2"] }), "invalid values"],
    ["an empty values list", withCondition({ attribute: "x", op: "in", values: [] }), "invalid values"],
    ["an invalid attribute", withCondition({ attribute: "a..b", op: "exists" }), "invalid attribute"],
    ["an unknown segment", withCondition({ segment: ["nope"] }), "invalid segment"],
    ["an unknown variant", flag({ fallthrough: { variant: "maybe" } }), "invalid variant"],
    ["weights off by one", flag({ fallthrough: { rollout: { weights: { on: 1, off: 99_998 } } } }), "invalid weights"],
    ["an unknown kind", flag({ kind: "date" as never }), "invalid kind"],
    ["a rule without id", flag({ rules: [{ when: [], serve: { variant: "on" } } as never] }), "invalid rules"],
    ["a rule whose conditions are not a list", flag({ rules: [{ id: "r", when: {}, serve: { variant: "on" } } as never] }), "invalid rules"],
    ["a condition that is not an object", withCondition("nationality" as never), "invalid when"],
    ["an empty segment list", withCondition({ segment: [] }), "invalid segment"],
    ["a negate that is not a boolean", withCondition({ segment: ["s"], negate: "yes" } as never), "invalid negate"],
    ["values that are not a list", withCondition({ attribute: "x", op: "in", values: "a" as never }), "invalid values"],
    ["a null in an in list", withCondition({ attribute: "x", op: "in", values: ["a", null as never] }), "invalid values"],
    ["an infinite number in an in list", withCondition({ attribute: "x", op: "in", values: [Infinity] }), "invalid values"],
    ["a number for startsWith", withCondition({ attribute: "x", op: "startsWith", values: [5 as never] }), "invalid values"],
    ["a boolean for gt", withCondition({ attribute: "x", op: "gt", values: [true as never] }), "invalid values"],
    ["a NaN for lte", withCondition({ attribute: "x", op: "lte", values: [NaN] }), "invalid values"],
    ["a version that is not a semver", withCondition({ attribute: "v", op: "semverEq", values: ["1.2"] }), "invalid values"],
    ["a number for semverGt", withCondition({ attribute: "v", op: "semverGt", values: [1 as never] }), "invalid values"],
    ["a date that is not an instant", withCondition({ attribute: "t", op: "after", values: ["2026-02-30"] }), "invalid values"],
    ["a variant of the wrong type", flag({ variants: { on: true, off: "no" } as never }), "invalid variants"],
    ["variants that are not an object", flag({ variants: [true, false] as never }), "invalid variants"],
    ["an enabled that is not a boolean", flag({ enabled: 1 as never }), "invalid enabled"],
    ["an unknown fail mode", flag({ failMode: "half" as never }), "invalid failMode"],
    ["a staleAfterMs of 0", flag({ staleAfterMs: 0 }), "invalid staleAfterMs"],
    ["a staleAfterMs that is not a number", flag({ staleAfterMs: "60000" as never }), "invalid staleAfterMs"],
    ["an unknown off variant", flag({ offVariant: "maybe" }), "invalid offVariant"],
    ["rules that are not a list", flag({ rules: {} as never }), "invalid rules"],
    ["a serve that is not an object", flag({ fallthrough: "on" as never }), "invalid serve"],
    ["a rollout without weights", flag({ fallthrough: { rollout: {} } as never }), "invalid rollout"],
    ["a rollout over an invalid attribute", flag({ fallthrough: { rollout: { bucketBy: "a..b", weights: { on: 100_000 } } } }), "invalid bucketBy"],
    ["a salt that is not a string", flag({ fallthrough: { rollout: { salt: 3 as never, weights: { on: 100_000 } } } }), "invalid salt"],
    ["a weight for an unknown variant", flag({ fallthrough: { rollout: { weights: { on: 50_000, maybe: 50_000 } } } }), "invalid weights"],
    ["a negative weight", flag({ fallthrough: { rollout: { weights: { on: -1, off: 100_001 } } } }), "invalid weights"],
    ["a fractional weight", flag({ fallthrough: { rollout: { weights: { on: 0.5, off: 99_999.5 } } } }), "invalid weights"],
    ["a json variant JSON cannot carry", { ...flag(), kind: "json", variants: { a: 1n }, offVariant: "a", fallthrough: { variant: "a" } }, "Do not know how to serialize a BigInt"],
  ])("names the offending field of %s", (_what, f, message) => {
    expect(compile(f)._error).toBe(message);
  });

  it.each([null, 5, "flag", []])("never throws on %j, and names the flag as what is invalid", (junk) => {
    expect(compile(junk)._error).toBe("invalid flag");
  });

  it("never throws on an empty object, and names its missing kind", () => {
    expect(compile({})._error).toBe("invalid kind");
  });

  it.each([
    ["boolean", "boolean", { on: true, off: false }],
    ["string", "string", { on: "yes", off: "no" }],
    ["number", "number", { on: 1, off: 0 }],
    ["json", "object", { on: { models: ["x"] }, off: null }],
  ])("compiles a %s flag, whose defaults must be of type %s", (kind, type, variants) => {
    const f = compile(flag({ kind: kind as WireFlag["kind"], variants: variants as never }));
    expect(f._error).toBeUndefined();
    expect(f._type).toBe(type);
    expect(f._fallthrough._res.value).toEqual(variants.on);
  });

  it("refuses a json variant that is undefined (a value JSON does not carry), naming the variants", () => {
    expect(compile({ ...flag(), kind: "json", variants: { a: {}, b: undefined }, offVariant: "a", fallthrough: { variant: "a" } })._error).toBe("invalid variants");
  });

  // A result is handed to callers and OpenFeature as it is: `ruleId` is a key of it only when a rule matched.
  it("gives only a rule's results a ruleId key", () => {
    const f = compile(flag({ rules: [{ id: "r1", when: [{ attribute: "x", op: "exists" }], serve: { variant: "off" } }], fallthrough: { rollout: { weights: { on: 100_000 } } } }));
    for (const r of [f._off, f._stale, f._fallthrough._res, f._fallthrough._cached, f._fallthrough._rollout!._res[0]!, f._fallthrough._rollout!._cached[0]!]) {
      expect(Object.keys(r)).toEqual(["value", "variant", "reason"]);
    }
    expect(Object.keys(f._rules[0]!._serve._res)).toEqual(["value", "variant", "reason", "ruleId"]);
  });

  // Field names only, no paths (bundle size): the service's validation reports where.
  it("does not compile a flag whose segment is invalid", () => {
    const bad = compileSegment("s", { key: "s", include: [], exclude: [], rules: [{ when: [{ segment: ["t"] } as never] }], version: 1 }, now);
    expect(bad._error).toBe("invalid segment");
    expect(compile(withCondition({ segment: ["s"] }), new Map([["s", bad]]))._error).toBe("invalid segment");
  });
});

describe("compileSegment", () => {
  it("compiles include, exclude and rules", () => {
    const s = compileSegment("s", { key: "s", include: ["a"], exclude: ["b"], rules: [{ when: [{ attribute: "x", op: "exists" }] }], version: 1 }, now);
    expect(s._error).toBeUndefined();
    expect([...s._include]).toEqual(["a"]);
    expect([...s._exclude]).toEqual(["b"]);
    expect(s._rules[0]).toHaveLength(1);
  });

  it("reads a missing include, exclude or rules as empty", () => {
    const s = compileSegment("s", { key: "s", version: 1 } as unknown as Segment, now);
    expect(s._error).toBeUndefined();
    expect([s._include.size, s._exclude.size, s._rules.length]).toEqual([0, 0, 0]);
  });

  it.each([
    [{ key: "s", include: [1], exclude: [], rules: [] }, "invalid include"],
    [{ key: "s", include: ["a", 1], exclude: [], rules: [] }, "invalid include"],
    [{ key: "s", include: [], exclude: [], rules: "none" }, "invalid segment"],
    [{ key: "s", include: [], exclude: [], rules: [{ when: {} }] }, "invalid when"],
    [{ key: "s", include: [], exclude: "b", rules: [] }, "invalid exclude"],
    [{ key: "s", include: [], exclude: [], rules: [{}] }, "invalid when"],
    [null, "invalid segment"],
  ])("records why %j cannot be compiled", (raw, message) => {
    expect(compileSegment("s", raw as unknown as Segment, now)._error).toBe(message);
  });
});
