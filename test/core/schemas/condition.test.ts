import { describe, expect, it } from "vitest";
import { conditionSchema } from "../../../src/core/schemas/condition.js";
import { toFieldErrors } from "../../../src/core/schemas/issues.js";

const errorsOf = (value: unknown) => {
  const parsed = conditionSchema.safeParse(value);
  return parsed.success ? [] : toFieldErrors(parsed.error.issues);
};

describe("conditions", () => {
  // ISO 3166 codes follow the declaration, not the name: test/core/attributes/check.test.ts.
  it.each([
    [{ attribute: "nationality", op: "notIn", values: ["US"] }],
    [{ attribute: "region", op: "in", values: ["US-CA", "FR"] }],
    [{ attribute: "org.country", op: "in", values: ["us"] }],
    [{ attribute: "age", op: "gte", values: [18] }],
    [{ attribute: "email", op: "endsWith", values: ["@acme.com"] }],
    [{ attribute: "appVersion", op: "semverLt", values: ["2.0.0-rc.1"] }],
    [{ attribute: "currentTime", op: "after", values: ["2026-01-31T17:00:00Z"] }],
    [{ attribute: "currentTime", op: "after", values: ["2026-01-31", "2024-02-29T23:59:59.999z", "2026-01-31 17:00+05:30"] }],
    [{ attribute: "v", op: "semverLt", values: ["1.2.3-" + "a".repeat(250)] }],
    [{ attribute: "nationality", op: "notIn", values: ["us"] }],
    [{ attribute: "employer", op: "exists" }],
    [{ attribute: "employer", op: "missing", values: [] }],
    [{ segment: ["foreign-nationals"], negate: true }],
  ])("accepts %j", (condition) => {
    expect(errorsOf(condition)).toEqual([]);
  });

  it.each([
    ["an empty list", { attribute: "employer", op: "notIn", values: [] }, "values", /non-empty/],
    ["no list", { attribute: "employer", op: "in" }, "values", /non-empty/],
    ["values on exists", { attribute: "employer", op: "exists", values: ["x"] }, "values", /no values/],
    ["a string for lt", { attribute: "age", op: "lt", values: ["18"] }, "values[0]", /number/],
    ["a number for contains", { attribute: "email", op: "contains", values: [1] }, "values[0]", /string/],
    ["a v-prefixed version", { attribute: "v", op: "semverEq", values: ["v1.2.3"] }, "values[0]", /semantic version/],
    ["a date without a zone", { attribute: "currentTime", op: "before", values: ["2026-01-31T17:00:00"] }, "values[0]", /ISO 8601/],
    ["February 30, which Date.parse takes and the SDK refuses", { attribute: "signup", op: "before", values: ["2026-02-30T00:00:00Z"] }, "values[0]", /"2026-02-30T00:00:00Z" is not one/],
    ["hour 24", { attribute: "signup", op: "after", values: ["2026-01-01T24:00:00Z"] }, "values[0]", /ISO 8601/],
    ["a version over 256 characters", { attribute: "v", op: "semverLt", values: ["1.2.3-" + "a".repeat(300)] }, "values[0]", /256/],
    ["an unknown operator", { attribute: "a", op: "regex", values: [".*"] }, "op", /./],
    ["an empty path segment", { attribute: "org..country", op: "in", values: ["x"] }, "attribute", /dotted path/],
    ["an object value", { attribute: "a", op: "in", values: [{}] }, "values[0]", /./],
    ["an unknown field", { attribute: "a", op: "in", values: ["x"], caseInsensitive: true }, "caseInsensitive", /unknown field/],
    ["an empty segment list", { segment: [] }, "segment", /./],
  ])("rejects %s", (_name, condition, path, message) => {
    const errors = errorsOf(condition);
    expect(errors).toContainEqual(expect.objectContaining({ path, message: expect.stringMatching(message) }));
  });

  it("bounds a values list at 10,000 entries", () => {
    const values = Array.from({ length: 10_001 }, (_, i) => `v${i}`);
    expect(errorsOf({ attribute: "employer", op: "in", values })[0]!.path).toBe("values");
    expect(errorsOf({ attribute: "employer", op: "in", values: values.slice(1) })).toEqual([]);
  });
});
