import { describe, expect, it } from "vitest";
import { configReferenceErrors, namesSegment, variantsUsed } from "../../src/core/references.js";

const variants = { on: true, off: false };

describe("config references", () => {
  it("finds variants and segments a config names but the flag and environment lack", () => {
    const errors = configReferenceErrors(
      {
        offVariant: "gone",
        fallthrough: { rollout: { weights: { on: 50_000, maybe: 50_000 } } },
        rules: [{ when: [{ attribute: "a", op: "exists" }, { segment: ["known", "unknown"] }], serve: { variant: "nope" } }],
      },
      variants,
      new Set(["known"]),
    );
    expect(errors.map((e) => e.path)).toEqual([
      "offVariant",
      "fallthrough.rollout.weights.maybe",
      "rules[0].serve.variant",
      "rules[0].when[1].segment[1]",
    ]);
  });

  it("does not mistake inherited properties for variants", () => {
    expect(configReferenceErrors({ offVariant: "toString", fallthrough: { variant: "on" }, rules: [] }, variants, new Set())).toHaveLength(1);
  });

  it("tells which configs name a segment and which variants a config uses", () => {
    const rules = [{ id: "r1", when: [{ segment: ["a", "b"] }], serve: { variant: "off" } }];
    expect(namesSegment(rules, "b")).toBe(true);
    expect(namesSegment(rules, "c")).toBe(false);
    expect(variantsUsed({ offVariant: "off", fallthrough: { rollout: { weights: { on: 1, x: 99_999 } } }, rules })).toEqual(new Set(["off", "on", "x"]));
  });
});
