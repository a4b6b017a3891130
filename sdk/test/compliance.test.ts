/**
 * The compliance semantics of docs/evaluation.md, one named test
 * each, on the flag of the export directive example.
 */
import { describe, expect, it } from "vitest";
import type { Segment, WireFlag } from "../src/model.js";
import { Ruleset } from "../src/ruleset.js";

const foreignNationals: Segment = {
  key: "foreign-nationals", description: "No US citizenship, or unknown", include: ["contractor-9"], exclude: ["user-123"], version: 1,
  rules: [{ when: [{ attribute: "nationality", op: "notIn", values: ["US"] }] }],
};
const fable: WireFlag = {
  key: "model.fable-5", kind: "boolean", variants: { on: true, off: false }, enabled: true, offVariant: "off", failMode: "closed", staleAfterMs: 60_000, version: 12,
  rules: [
    { id: "r1", description: "Export directive EXPORT-2026-001", when: [{ segment: ["foreign-nationals"] }], serve: { variant: "off" } },
    { id: "r2", when: [{ attribute: "employer", op: "in", values: ["acme-defense"] }], serve: { variant: "off" } },
  ],
  fallthrough: { variant: "on" },
};

function rules(f: WireFlag = fable) {
  const r = new Ruleset();
  r.load({ [f.key]: f }, { "foreign-nationals": foreignNationals }, 12);
  return r;
}
const evaluate = (ctx: Record<string, unknown>, f?: WireFlag) => rules(f).evaluate("model.fable-5", ctx, true);

describe("compliance semantics", () => {
  it("treats unknown citizenship as foreign: a missing nationality matches notIn [US]", () => {
    expect(evaluate({ key: "u1" })).toEqual({ value: false, variant: "off", reason: "TARGETING_MATCH", ruleId: "r1" });
  });

  it("matches no positive operator on a missing attribute", () => {
    const f = { ...fable, rules: [{ id: "in", when: [{ attribute: "nationality", op: "in" as const, values: ["US"] }], serve: { variant: "off" as const } }] };
    expect(evaluate({ key: "u1" }, f)).toEqual({ value: true, variant: "on", reason: "DEFAULT" });
  });

  it("does not block a US/FR dual national with notIn [US]", () => {
    expect(evaluate({ key: "u1", nationality: ["US", "FR"] })).toEqual({ value: true, variant: "on", reason: "DEFAULT" });
  });

  it("matches a US/FR dual national with in [US]", () => {
    const f = { ...fable, rules: [{ id: "in", when: [{ attribute: "nationality", op: "in" as const, values: ["US"] }], serve: { variant: "off" as const } }] };
    expect(evaluate({ key: "u1", nationality: ["US", "FR"] }, f).ruleId).toBe("in");
  });

  it("lets enabled:false win over every rule", () => {
    const f = { ...fable, enabled: false, rules: [{ id: "on-for-all", when: [], serve: { variant: "on" as const } }] };
    expect(evaluate({ key: "u1", nationality: "US" }, f)).toEqual({ value: false, variant: "off", reason: "DISABLED" });
  });

  it("serves the first matching rule", () => {
    expect(evaluate({ key: "u1", nationality: "FR", employer: "acme-defense" }).ruleId).toBe("r1");
    expect(evaluate({ key: "u1", nationality: "US", employer: "acme-defense" }).ruleId).toBe("r2");
  });

  it("lets a segment's exclude win over its include and its rules", () => {
    const segment = { ...foreignNationals, include: ["user-123"] };
    const r = new Ruleset();
    r.load({ [fable.key]: fable }, { "foreign-nationals": segment }, 12);
    expect(r.evaluate("model.fable-5", { key: "user-123", nationality: "FR" }, true)).toEqual({ value: true, variant: "on", reason: "DEFAULT" });
  });

  it("does not let a malformed context slip past a block: a wrong-typed nationality is missing", () => {
    expect(evaluate({ key: "u1", nationality: 840 }).value).toBe(false);
    expect(evaluate({ key: "u1", nationality: { code: "US" } }).value).toBe(false);
  });

  it("serves a fail-closed flag off once the SDK has heard nothing for staleAfterMs", () => {
    expect(rules().evaluate("model.fable-5", { key: "u1", nationality: "US" }, true, 60_000)).toEqual({ value: false, variant: "off", reason: "STALE" });
  });

  it("never lifts a block with a random rollout variant when the bucketBy attribute is missing", () => {
    const f = { ...fable, rules: [], fallthrough: { rollout: { bucketBy: "org.id", weights: { on: 100_000, off: 0 } } } };
    expect(evaluate({ key: "u1" }, f)).toEqual({ value: false, variant: "off", reason: "DEFAULT" });
  });
});
