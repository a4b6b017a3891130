import { describe, expect, it } from "vitest";
import { blockSchema } from "../../../src/core/schemas/actions.js";
import { keyCreateSchema } from "../../../src/core/schemas/admin.js";
import { flagConfigInputSchema } from "../../../src/core/schemas/flag-config.js";
import { flagCreateSchema, flagPatchSchema } from "../../../src/core/schemas/flag.js";
import { formatPath, toFieldErrors } from "../../../src/core/schemas/issues.js";
import { segmentInputSchema } from "../../../src/core/schemas/segment.js";
import type { z } from "zod";

const errorsOf = (schema: z.ZodType, value: unknown) => {
  const parsed = schema.safeParse(value);
  return parsed.success ? [] : toFieldErrors(parsed.error.issues);
};

describe("formatPath", () => {
  it("writes zod paths as rules[2].when[0].values, quoting keys that are not identifiers", () => {
    expect(formatPath(["rules", 2, "when", 0, "values"])).toBe("rules[2].when[0].values");
    expect(formatPath(["variants", "model.v2"])).toBe('variants["model.v2"]');
    expect(formatPath([])).toBe("");
  });
});

describe("flag definitions", () => {
  it("restricts variant names so that none looks like an integer (JS would reorder it)", () => {
    expect(errorsOf(flagCreateSchema, { key: "f", kind: "json", variants: { "10": 1 } })[0]!.path).toBe('variants["10"]');
    expect(errorsOf(flagCreateSchema, { key: "f", kind: "json", variants: { _10: 1, "v1.2-beta": [] } })).toEqual([]);
  });

  it("never lets a __proto__ key replace the variants' prototype", () => {
    const body = JSON.parse('{"key": "f", "kind": "json", "variants": {"__proto__": {"x": 1}, "a": 1}}');
    const parsed = flagCreateSchema.parse(body);
    expect(Object.getPrototypeOf(parsed.variants)).toBe(Object.prototype);
    expect(Object.keys(parsed.variants!)).toEqual(["a"]);
    expect((parsed.variants as Record<string, unknown>).x).toBeUndefined();
  });

  it("checks variant values against the kind", () => {
    expect(errorsOf(flagCreateSchema, { key: "f", kind: "boolean", variants: { on: "yes" } })[0]!.path).toBe("variants.on");
    expect(errorsOf(flagCreateSchema, { key: "f", kind: "number", variants: { a: 1.5 } })).toEqual([]);
  });

  it("needs a reason to change variants (what SDKs serve), not to change a description", () => {
    expect(errorsOf(flagPatchSchema, { variants: { on: true, off: false } })[0]).toMatchObject({ path: "reason", message: expect.stringMatching(/required/) });
    expect(errorsOf(flagPatchSchema, { variants: { on: true, off: false }, reason: "r" })).toEqual([]);
    expect(errorsOf(flagPatchSchema, { description: "d" })).toEqual([]);
  });

  it.each(["", "-x", ".x", "a b", "x".repeat(129), "naïve"])("rejects the key %j", (key) => {
    expect(errorsOf(flagCreateSchema, { key, kind: "boolean" })[0]!.path).toBe("key");
  });
});

describe("flag configs", () => {
  const base = { enabled: true, offVariant: "off", rules: [], fallthrough: { variant: "on" }, reason: "r" };

  it("defaults failMode to open and accepts a GET answer's version", () => {
    const parsed = flagConfigInputSchema.parse({ ...base, version: 12 });
    expect(parsed.failMode).toBe("open");
  });

  it("reports the closest branch of a serve union, not every branch", () => {
    const errors = errorsOf(flagConfigInputSchema, { ...base, fallthrough: { rollout: { weights: { on: 1 } } } });
    expect(errors).toEqual([{ path: "fallthrough.rollout.weights", message: expect.stringMatching(/100000/), code: "custom" }]);
  });

  it("needs a non-blank reason: the config is what SDKs serve", () => {
    const { reason: _reason, ...withoutReason } = base;
    expect(errorsOf(flagConfigInputSchema, withoutReason)).toEqual([{ path: "reason", message: expect.stringMatching(/required/), code: "invalid_type" }]);
    expect(errorsOf(flagConfigInputSchema, { ...base, reason: " " })[0]!.path).toBe("reason");
  });

  it("rejects a rollout with both a variant and a rollout", () => {
    expect(errorsOf(flagConfigInputSchema, { ...base, fallthrough: { variant: "on", rollout: { weights: { on: 100000 } } } }).length).toBeGreaterThan(0);
  });
});

describe("segments", () => {
  it("needs a reason: flags that name the segment serve by it", () => {
    expect(errorsOf(segmentInputSchema, { include: ["u"] })[0]).toMatchObject({ path: "reason", message: expect.stringMatching(/required/) });
    expect(errorsOf(segmentInputSchema, { include: ["u"], reason: "r" })).toEqual([]);
  });

  it("refuses segment conditions inside segment rules, saying why", () => {
    const errors = errorsOf(segmentInputSchema, { rules: [{ when: [{ segment: ["a"] }] }] });
    expect(errors.map((e) => e.message)).toContainEqual(expect.stringMatching(/may not name segments/));
  });

  it("needs at least one condition per segment rule", () => {
    expect(errorsOf(segmentInputSchema, { rules: [{ when: [] }] })[0]!.path).toBe("rules[0].when");
  });
});

describe("block", () => {
  it("takes segment or when, not both, not neither", () => {
    expect(errorsOf(blockSchema, { reason: "r", segment: "s" })).toEqual([]);
    expect(errorsOf(blockSchema, { reason: "r", segment: ["s", "t"] })).toEqual([]);
    expect(errorsOf(blockSchema, { reason: "r", when: [{ attribute: "a", op: "exists" }] })).toEqual([]);
    expect(errorsOf(blockSchema, { reason: "r" })).toHaveLength(1);
    expect(errorsOf(blockSchema, { reason: "r", segment: "s", when: [{ attribute: "a", op: "exists" }] })).toHaveLength(1);
  });

  it("needs a non-blank reason", () => {
    expect(errorsOf(blockSchema, { reason: "   ", segment: "s" })[0]!.path).toBe("reason");
  });
});

describe("keys", () => {
  it("binds sdk keys to an environment and no other role", () => {
    expect(errorsOf(keyCreateSchema, { name: "k", role: "sdk" })[0]!.path).toBe("env");
    expect(errorsOf(keyCreateSchema, { name: "k", role: "admin", env: "production" })[0]!.path).toBe("env");
    expect(errorsOf(keyCreateSchema, { name: "k", role: "sdk", env: "production" })).toEqual([]);
  });
});
