import { describe, expect, it } from "vitest";
import { compileFlag, compileSegment } from "../../src/evaluator/compile.js";
import { holds, isMember, membership, present } from "../../src/evaluator/conditions.js";
import { EXCLUDED, INCLUDED, NONE } from "../../src/evaluator/opcodes.js";
import type { AttributeCondition, Segment, WireFlag } from "../../src/model.js";

const now = () => Date.parse("2026-03-01T00:00:00Z");

function condition(c: AttributeCondition) {
  const f = { key: "f", kind: "boolean", variants: { on: true, off: false }, enabled: true, offVariant: "off", rules: [{ id: "r", when: [c], serve: { variant: "on" } }], fallthrough: { variant: "off" }, failMode: "open", version: 1 } as WireFlag;
  const compiled = compileFlag("f", f, new Map(), { _staleAfterMs: 60_000, _now: now });
  expect(compiled._error).toBeUndefined();
  return compiled._rules[0]!._when[0]!;
}

const segment = (s: Partial<Segment>) => compileSegment("s", { key: "s", include: [], exclude: [], rules: [], version: 1, ...s }, now);

describe("holds", () => {
  it("answers the same for a long in list (Set) and a short one (scan)", () => {
    const values = ["a", "b", 1, true];
    const short = condition({ attribute: "x", op: "in", values });
    const long = condition({ attribute: "x", op: "in", values: [...values, "p", "q", "r", "s", "t"] });
    for (const x of ["a", "b", 1, true, "1", "true", 0, false, null, undefined, ["z", 1], [], {}]) {
      expect(holds(long, { x }), String(x)).toBe(holds(short, { x }));
    }
  });

  it("compares currentTime with the clock when the context has no value", () => {
    expect(holds(condition({ attribute: "currentTime", op: "after", values: ["2026-02-01T00:00:00Z"] }), {})).toBe(true);
    expect(holds(condition({ attribute: "currentTime", op: "before", values: ["2026-02-01T00:00:00Z"] }), {})).toBe(false);
  });

  it("does not use the clock for a number compared with currentTime: without a value in the context, no comparison holds", () => {
    for (const op of ["lt", "lte", "gt", "gte"] as const) {
      const c = condition({ attribute: "currentTime", op, values: [0] });
      expect(holds(c, {}), op).toBe(false);
      expect(holds(c, { currentTime: op.startsWith("l") ? -1 : 1 }), op).toBe(true);
    }
  });

  it("does not use the clock for other attributes", () => {
    expect(holds(condition({ attribute: "startedAt", op: "after", values: ["2026-02-01T00:00:00Z"] }), {})).toBe(false);
  });

  it("reads NaN as a number that satisfies no comparison", () => {
    for (const op of ["lt", "lte", "gt", "gte"] as const) expect(holds(condition({ attribute: "x", op, values: [1] }), { x: Number.NaN })).toBe(false);
  });

  it("treats functions, symbols and bigints as wrong-typed values", () => {
    for (const x of [() => "US", Symbol("US"), 1n]) {
      expect(holds(condition({ attribute: "x", op: "in", values: ["US", 1] }), { x })).toBe(false);
      expect(holds(condition({ attribute: "x", op: "notIn", values: ["US", 1] }), { x })).toBe(true);
      expect(holds(condition({ attribute: "x", op: "startsWith", values: ["U"] }), { x })).toBe(false);
    }
  });
});

describe("present", () => {
  it("counts null, undefined and an empty array as missing", () => {
    expect([undefined, null, []].map(present)).toEqual([false, false, false]);
    expect(["", 0, false, {}, [null]].map(present)).toEqual([true, true, true, true, true]);
  });
});

describe("membership", () => {
  const rule = { when: [{ attribute: "nationality", op: "notIn" as const, values: ["US"] }] };

  it("says excluded when the key is excluded, even if included and matching a rule", () => {
    expect(membership(segment({ include: ["u"], exclude: ["u"], rules: [rule] }), { key: "u", nationality: "FR" })).toBe(EXCLUDED);
  });

  it("says included for an included key before looking at rules", () => {
    expect(membership(segment({ include: ["u"], rules: [rule] }), { key: "u", nationality: "FR" })).toBe(INCLUDED);
  });

  it("gives the index of the first matching rule", () => {
    expect(membership(segment({ rules: [{ when: [{ attribute: "x", op: "exists" }] }, rule] }), { key: "u" })).toBe(1);
  });

  it("says none when nothing applies", () => {
    expect(membership(segment({ include: ["v"], rules: [rule] }), { key: "u", nationality: "US" })).toBe(NONE);
  });

  it("counts included and rule matches as members, not excluded or none", () => {
    expect([EXCLUDED, INCLUDED, NONE, 0, 3].map(isMember)).toEqual([false, true, false, true, true]);
  });
});
