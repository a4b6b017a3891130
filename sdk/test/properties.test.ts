import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OPERATORS, type Condition, type JsonValue, type Segment, type WireFlag } from "../src/model.js";
import { explainFlag } from "../src/explain.js";
import { bucketOf } from "../src/explain.js";
import { Ruleset } from "../src/ruleset.js";

const REASONS = ["STATIC", "DEFAULT", "TARGETING_MATCH", "SPLIT", "DISABLED", "CACHED", "STALE", "ERROR"];

// Context values as they arrive from JSON or from application code: scalars, nulls,
// nested arrays and objects, plus the odd values JSON cannot carry.
const scalar = fc.oneof(fc.string({ maxLength: 6 }), fc.integer({ min: -3, max: 30 }), fc.double(), fc.boolean(), fc.constant(null));
const value: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: "small" },
  scalar,
  fc.constantFrom("US", "FR", "1.2.3", "1.0.0-rc.1", "2026-06-01T00:00:00Z", "2026-06-01", undefined, Number.NaN, -0, Infinity),
  fc.array(scalar, { maxLength: 4 }),
  fc.dictionary(fc.constantFrom("country", "id", "x"), scalar, { maxKeys: 3 }),
);
const attribute = fc.constantFrom("nationality", "region", "key", "org.country", "org.id", "age", "currentTime", "constructor", "a..b", "");
const context = fc.dictionary(fc.constantFrom("key", "nationality", "region", "age", "org", "currentTime", "org.country", "toString"), value, { maxKeys: 6 });

// Valid conditions of every operator, with values of the operator's type.
const validAttribute = fc.constantFrom("nationality", "region", "key", "org.country", "org.id", "age", "currentTime", "constructor");
const nonEmpty = <T>(a: fc.Arbitrary<T>) => fc.array(a, { minLength: 1, maxLength: 12 });
const attributeCondition = fc.oneof(
  fc.record({ attribute: validAttribute, op: fc.constantFrom("in", "notIn"), values: nonEmpty(fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.boolean(), fc.constantFrom("US", "FR"))) }),
  fc.record({ attribute: validAttribute, op: fc.constantFrom("startsWith", "endsWith", "contains"), values: nonEmpty(fc.string({ maxLength: 3 })) }),
  fc.record({ attribute: validAttribute, op: fc.constantFrom("lt", "lte", "gt", "gte"), values: nonEmpty(fc.oneof(fc.integer({ min: -3, max: 30 }), fc.double({ noNaN: true, noDefaultInfinity: true }))) }),
  fc.record({ attribute: validAttribute, op: fc.constantFrom("semverLt", "semverGt", "semverEq"), values: nonEmpty(fc.constantFrom("1.2.3", "1.0.0-rc.1", "0.0.1+b", "10.20.30")) }),
  fc.record({ attribute: validAttribute, op: fc.constantFrom("before", "after"), values: nonEmpty(fc.constantFrom("2026-01-01T00:00:00Z", "2026-06-01", "2025-12-31T23:00:00-05:00")) }),
  fc.record({ attribute: validAttribute, op: fc.constantFrom("exists", "missing") }),
);
const validCondition = fc.oneof(
  { weight: 4, arbitrary: attributeCondition },
  { weight: 1, arbitrary: fc.record({ segment: fc.subarray(["s1", "s2"], { minLength: 1 }), negate: fc.option(fc.boolean(), { nil: undefined }) }) },
);
const weight = fc.integer({ min: 0, max: 100_000 });
const validServe = fc.oneof(
  fc.record({ variant: fc.constantFrom("on", "off") }),
  fc.record({ rollout: fc.record({ bucketBy: fc.option(validAttribute, { nil: undefined }), salt: fc.option(fc.string({ maxLength: 4 }), { nil: undefined }), weights: weight.map((w) => ({ on: w, off: 100_000 - w })) }) }),
);
const validFlag = fc.record({
  key: fc.constant("f"),
  kind: fc.constant("boolean"),
  variants: fc.constant({ on: true, off: false }),
  enabled: fc.boolean(),
  offVariant: fc.constantFrom("off", "on"),
  rules: fc.array(fc.record({ id: fc.string({ maxLength: 3 }), when: fc.array(validCondition, { maxLength: 3 }), serve: validServe }), { maxLength: 4 }),
  fallthrough: validServe,
  failMode: fc.constantFrom("open", "closed"),
  staleAfterMs: fc.option(fc.integer({ min: 1, max: 10_000 }), { nil: undefined }),
  version: fc.nat(),
});
const validSegment = (key: string) =>
  fc.record({
    key: fc.constant(key),
    include: fc.array(fc.constantFrom("u1", "u2", "7"), { maxLength: 2 }),
    exclude: fc.array(fc.constantFrom("u1", "u3"), { maxLength: 2 }),
    rules: fc.array(fc.record({ when: fc.array(attributeCondition, { maxLength: 2 }) }), { maxLength: 2 }),
    version: fc.nat(),
  });

// Anything goes: unknown operators, wrong-typed values, unknown segments and variants, junk.
const anyCondition: fc.Arbitrary<unknown> = fc.oneof(
  validCondition,
  fc.record({
    attribute,
    op: fc.oneof(fc.constantFrom(...OPERATORS), fc.constant("regex")),
    values: fc.option(fc.array(fc.oneof(scalar, fc.constantFrom("US", "1.2.3", "2026-01-01T00:00:00Z", 18)), { maxLength: 12 }), { nil: undefined }),
  }),
  fc.record({ segment: fc.array(fc.constantFrom("s1", "s2", "nope"), { maxLength: 2 }), negate: fc.option(fc.boolean(), { nil: undefined }) }),
  fc.anything({ maxDepth: 2 }),
);
const anyServe = fc.oneof(
  validServe,
  fc.record({ variant: fc.constantFrom("on", "off", "x") }),
  fc.record({ rollout: fc.record({ bucketBy: fc.option(attribute, { nil: undefined }), weights: fc.dictionary(fc.constantFrom("on", "off", "x"), fc.integer({ min: -1, max: 100_000 })) }) }),
);
const anyFlag: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({
    key: fc.constant("f"),
    kind: fc.constantFrom("boolean", "string", "json", "date"),
    variants: fc.constantFrom({ on: true, off: false }, { on: "a", off: "b" }, { on: { a: 1 }, off: null }),
    enabled: fc.oneof(fc.boolean(), fc.constant(1)),
    offVariant: fc.constantFrom("off", "on", "x"),
    rules: fc.array(fc.record({ id: fc.string({ maxLength: 3 }), when: fc.array(anyCondition, { maxLength: 3 }), serve: anyServe }), { maxLength: 3 }),
    fallthrough: anyServe,
    failMode: fc.constantFrom("open", "closed", undefined, "maybe"),
    staleAfterMs: fc.option(fc.integer({ min: -1, max: 10_000 }), { nil: undefined }),
    version: fc.nat(),
  }),
  fc.anything({ maxDepth: 3 }),
);
const flag = fc.oneof({ weight: 3, arbitrary: validFlag }, { weight: 2, arbitrary: anyFlag });
const segment = fc.oneof({ weight: 4, arbitrary: validSegment("s1") }, { weight: 1, arbitrary: fc.anything({ maxDepth: 2 }) });

describe("evaluator properties", () => {
  it("never throws on arbitrary contexts and arbitrary (also invalid) configs", () => {
    fc.assert(
      fc.property(flag, segment, context, fc.oneof(fc.boolean(), fc.boolean(), fc.boolean(), fc.string(), fc.constant(null)), fc.integer({ min: 0, max: 100_000 }), (f, s, ctx, def, silent) => {
        const rules = new Ruleset({ staleAfterMs: 5_000, now: () => Date.parse("2026-03-01T00:00:00Z") });
        rules.load({ f: f as WireFlag }, { s1: s as Segment, s2: { key: "s2", include: ["u2"], exclude: [], rules: [], version: 1 } }, 1);
        const r = rules.evaluate("f", ctx, def as JsonValue, silent);
        expect(REASONS).toContain(r.reason);
        if (r.reason === "ERROR") expect(r.value).toBe(def);
        else expect(r.variant).toBeTypeOf("string");
        expect(REASONS).toContain(rules.resolve("f", ctx, silent).reason);
        expect(explainFlag(rules, "f", ctx)?.flag).toBe("f");
      }),
      { numRuns: 1500 },
    );
  });

  it("in and notIn are exact complements for any context value and values list", () => {
    const holds = (rules: Ruleset, key: string, ctx: Record<string, unknown>) => rules.evaluate(key, ctx, false).value;
    fc.assert(
      fc.property(value, fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.integer({ min: -3, max: 3 }), fc.boolean(), fc.constantFrom("US", "FR")), { minLength: 1, maxLength: 12 }), (v, values) => {
        const make = (op: "in" | "notIn"): WireFlag => ({
          key: op, kind: "boolean", variants: { on: true, off: false }, enabled: true, offVariant: "off", failMode: "open", version: 1,
          rules: [{ id: "r", when: [{ attribute: "nationality", op, values } as Condition], serve: { variant: "on" } }],
          fallthrough: { variant: "off" },
        });
        const rules = new Ruleset();
        rules.load({ in: make("in"), notIn: make("notIn") }, {}, 1);
        const ctx = { key: "u", nationality: v };
        expect(holds(rules, "in", ctx)).toBe(!holds(rules, "notIn", ctx));
      }),
      { numRuns: 2000 },
    );
  });

  it("a 30/70 rollout lands within ±1% over 100,000 random keys", () => {
    const rules = new Ruleset();
    rules.load(
      { "model.fable-5": {
        key: "model.fable-5", kind: "boolean", variants: { on: true, off: false }, enabled: true, offVariant: "off", failMode: "open", version: 1,
        rules: [], fallthrough: { rollout: { salt: "launch", weights: { on: 30_000, off: 70_000 } } },
      } },
      {},
      1,
    );
    const keys = fc.sample(fc.string({ minLength: 1, maxLength: 24, unit: "binary" }), { numRuns: 100_000, seed: 2026 });
    let on = 0;
    for (const key of keys) if (rules.evaluate("model.fable-5", { key }, false).value) on++;
    expect(on / keys.length).toBeGreaterThan(0.29);
    expect(on / keys.length).toBeLessThan(0.31);
  });

  it("a key's bucket never changes between calls", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string({ unit: "binary" }), fc.string(), (flagKey, salt, v, other) => {
        const first = bucketOf(flagKey, salt, v);
        bucketOf(other, salt, other); // interleaved work must not disturb the hash state
        expect(bucketOf(flagKey, salt, v)).toBe(first);
        expect(first).toBeGreaterThanOrEqual(0);
        expect(first).toBeLessThan(100_000);
      }),
      { numRuns: 1000 },
    );
  });

  it("a key's bucket is the same in another process", () => {
    const triples = fc.sample(fc.tuple(fc.string(), fc.string(), fc.string({ unit: "binary" })), { numRuns: 500, seed: 11 });
    triples.push(["model.fable-5", "r3", "user-42"], ["f", "", ""], ["用户", "😀", "\ud800"]);
    const child = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./fixtures/buckets-child.ts", import.meta.url))], {
      input: JSON.stringify(triples),
      encoding: "utf8",
      // `--import tsx` resolves from the working directory: the repository root.
      cwd: fileURLToPath(new URL("../../", import.meta.url)),
    });
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual(triples.map(([f, s, v]) => bucketOf(f, s, v)));
  });
});
