import { describe, expect, it } from "vitest";
import { conditionSchema } from "../../../src/core/schemas/condition.js";
import { toFieldErrors } from "../../../src/core/schemas/issues.js";

const errorsOf = (value: unknown) => {
  const parsed = conditionSchema.safeParse(value);
  return parsed.success ? [] : toFieldErrors(parsed.error.issues);
};

describe("conditions", () => {
  it.each([
    [{ attribute: "nationality", op: "notIn", values: ["US"] }],
    [{ attribute: "region", op: "in", values: ["US-CA", "FR"] }],
    [{ attribute: "org.country", op: "in", values: ["us"] }],
    [{ attribute: "age", op: "gte", values: [18] }],
    [{ attribute: "email", op: "endsWith", values: ["@acme.com"] }],
    [{ attribute: "appVersion", op: "semverLt", values: ["2.0.0-rc.1"] }],
    [{ attribute: "currentTime", op: "after", values: ["2026-01-31T17:00:00Z"] }],
    [{ attribute: "employer", op: "exists" }],
    [{ attribute: "employer", op: "missing", values: [] }],
    [{ segment: ["foreign-nationals"], negate: true }],
  ])("accepts %j", (condition) => {
    expect(errorsOf(condition)).toEqual([]);
  });

  it.each([
    ["a lower-case nationality, naming the value", { attribute: "nationality", op: "notIn", values: ["us"] }, "values[0]", /"us"/],
    ["a lower-case region on a dotted path", { attribute: "user.region", op: "in", values: ["US-ca"] }, "values[0]", /"US-ca"/],
    ["a number as a nationality", { attribute: "nationality", op: "in", values: [1] }, "values[0]", /ISO 3166/],
    ["an empty list", { attribute: "employer", op: "notIn", values: [] }, "values", /non-empty/],
    ["no list", { attribute: "employer", op: "in" }, "values", /non-empty/],
    ["values on exists", { attribute: "employer", op: "exists", values: ["x"] }, "values", /no values/],
    ["a string for lt", { attribute: "age", op: "lt", values: ["18"] }, "values[0]", /number/],
    ["a number for contains", { attribute: "email", op: "contains", values: [1] }, "values[0]", /string/],
    ["a v-prefixed version", { attribute: "v", op: "semverEq", values: ["v1.2.3"] }, "values[0]", /semantic version/],
    ["a date without a zone", { attribute: "currentTime", op: "before", values: ["2026-01-31T17:00:00"] }, "values[0]", /ISO 8601/],
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
