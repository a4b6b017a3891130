import { describe, expect, it } from "vitest";
import type { Segment, WireFlag } from "../../src/model.js";
import { explainFlag } from "../../src/explain.js";
import { Ruleset } from "../../src/ruleset.js";

const foreign: Segment = { key: "foreign", include: ["vip"], exclude: ["staff-1"], rules: [{ when: [{ attribute: "nationality", op: "notIn", values: ["US"] }] }], version: 1 };
const fable: WireFlag = {
  key: "model.fable-5", kind: "boolean", variants: { on: true, off: false }, enabled: true, offVariant: "off", failMode: "closed", version: 3,
  rules: [
    { id: "r1", when: [{ segment: ["foreign"] }], serve: { variant: "off" } },
    { id: "r2", when: [{ attribute: "region", op: "in", values: ["CU", "IR"] }, { attribute: "employer", op: "exists" }], serve: { variant: "off" } },
  ],
  fallthrough: { variant: "on" },
};

function load(f: WireFlag = fable) {
  const rules = new Ruleset({ now: () => Date.parse("2026-03-01T00:00:00Z") });
  rules.load({ [f.key]: f }, { foreign }, 1);
  return rules;
}

describe("explain", () => {
  it("says which rule blocked and why the context is in the segment", () => {
    const e = explainFlag(load(), "model.fable-5", { key: "u", nationality: "FR" })!;
    expect(e.result).toEqual({ value: false, variant: "off", reason: "TARGETING_MATCH", ruleId: "r1" });
    expect(e.rules[0]).toEqual({ id: "r1", matched: true, segments: { foreign: "rule 0" } });
    expect(e.fallthrough).toBe(false);
    expect(e.enabled).toBe(true);
  });

  it("explains every rule, also those after the one that served", () => {
    const e = explainFlag(load(), "model.fable-5", { key: "u", region: "IR", employer: "acme" })!;
    expect(e.rules.map((r) => [r.id, r.matched])).toEqual([["r1", true], ["r2", true]]);
    expect(e.result.ruleId).toBe("r1");
  });

  it("names the first failed condition with what the context holds", () => {
    const e = explainFlag(load(), "model.fable-5", { key: "u", nationality: "US", region: "IR" })!;
    expect(e.rules[0]).toEqual({
      id: "r1", matched: false, segments: { foreign: "none" },
      failedCondition: { index: 0, condition: { segment: ["foreign"] }, detail: "not a member of foreign" },
    });
    expect(e.rules[1]!.failedCondition).toEqual({ index: 1, condition: { attribute: "employer", op: "exists" }, detail: "employer is missing, so exists does not hold" });
    expect(e.fallthrough).toBe(true);
    expect(e.result.reason).toBe("DEFAULT");
  });

  it("shows a wrong-typed value as it is, quotes included", () => {
    const e = explainFlag(load(), "model.fable-5", { key: "u", nationality: ["US"], region: 7 })!;
    expect(e.rules[1]!.failedCondition!.detail).toBe('region is 7, so in ["CU","IR"] does not hold');
  });

  it("reports excluded and included keys", () => {
    expect(explainFlag(load(), "model.fable-5", { key: "staff-1", nationality: "FR" })!.rules[0]!.segments).toEqual({ foreign: "excluded" });
    expect(explainFlag(load(), "model.fable-5", { key: "vip", nationality: "US" })!.rules[0]!.segments).toEqual({ foreign: "included" });
  });

  it("names every segment of a condition that fails, with each membership", () => {
    const staff: Segment = { key: "staff", include: ["staff-1"], exclude: [], rules: [], version: 1 };
    const f = { ...fable, rules: [{ id: "s", when: [{ segment: ["foreign", "staff"] }], serve: { variant: "off" as const } }] };
    const rules = new Ruleset({ now: () => 0 });
    rules.load({ [f.key]: f }, { foreign, staff }, 1);
    expect(explainFlag(rules, "model.fable-5", { key: "u", nationality: "US" })!.rules[0]).toEqual({
      id: "s",
      matched: false,
      segments: { foreign: "none", staff: "none" },
      failedCondition: { index: 0, condition: { segment: ["foreign", "staff"] }, detail: "not a member of foreign, staff" },
    });
  });

  it("describes a negated segment condition that fails", () => {
    const f = { ...fable, rules: [{ id: "n", when: [{ segment: ["foreign"], negate: true }], serve: { variant: "off" as const } }] };
    expect(explainFlag(load(f), "model.fable-5", { key: "u" })!.rules[0]!.failedCondition!.detail).toBe("member of foreign, and the condition is negated");
  });

  it("shows the clock for currentTime without a context value", () => {
    const f = { ...fable, rules: [{ id: "t", when: [{ attribute: "currentTime", op: "before" as const, values: ["2026-01-01T00:00:00Z"] }], serve: { variant: "off" as const } }] };
    expect(explainFlag(load(f), "model.fable-5", {})!.rules[0]!.failedCondition!.detail).toBe(
      'currentTime (clock) is 2026-03-01T00:00:00.000Z, so before ["2026-01-01T00:00:00Z"] does not hold',
    );
  });

  it("explains the rules of a disabled flag without claiming the fallthrough served", () => {
    const e = explainFlag(load({ ...fable, enabled: false }), "model.fable-5", { key: "u", nationality: "FR" })!;
    expect(e.result.reason).toBe("DISABLED");
    expect(e.enabled).toBe(false);
    expect(e.rules[0]!.matched).toBe(true);
    expect(e.fallthrough).toBe(false);
  });

  it("explains a flag it cannot compile by its error and no rules", () => {
    const e = explainFlag(load({ ...fable, offVariant: "nope" }), "model.fable-5", {})!;
    expect(e.result).toMatchObject({ reason: "ERROR", errorCode: "PARSE_ERROR" });
    expect(e.rules).toEqual([]);
    expect(e.enabled).toBe(false);
    expect(e.fallthrough).toBe(false);
  });

  it("quotes a string the context holds", () => {
    const e = explainFlag(load(), "model.fable-5", { key: "u", nationality: "US", region: "FR" })!;
    expect(e.rules[1]!.failedCondition!.detail).toBe('region is "FR", so in ["CU","IR"] does not hold');
  });

  it("shows a value JSON has no text for as JavaScript prints it", () => {
    const e = explainFlag(load(), "model.fable-5", { key: "u", nationality: "US", region: Symbol("here") })!;
    expect(e.rules[1]!.failedCondition!.detail).toBe('region is Symbol(here), so in ["CU","IR"] does not hold');
  });

  it("falls back to a plain sentence when it cannot describe the condition", () => {
    const f = { ...fable, rules: [{ id: "t", when: [{ attribute: "currentTime", op: "before" as const, values: ["2026-01-01T00:00:00Z"] }], serve: { variant: "off" as const } }] };
    const rules = new Ruleset({ now: () => NaN });
    rules.load({ [f.key]: f }, { foreign }, 1);
    expect(explainFlag(rules, "model.fable-5", {})!.rules[0]!.failedCondition).toEqual({
      index: 0,
      condition: f.rules[0]!.when[0],
      detail: "the condition does not hold",
    });
  });

  it("returns undefined for an unknown flag", () => {
    expect(explainFlag(load(), "nope", {})).toBeUndefined();
  });

  it("never throws on values JSON cannot print", () => {
    const e = explainFlag(load(), "model.fable-5", { key: "u", nationality: "US", region: 10n, employer: "x" })!;
    expect(e.rules[1]!.failedCondition!.detail).toBe("region is a bigint, so in [\"CU\",\"IR\"] does not hold");
  });
});
