/**
 * Where the SDK's compiler refuses a flag or a segment, found by compiling smaller
 * copies: inputs the schemas would refuse are written here as the store might hold them.
 */
import type { Segment, WireFlag } from "@killswitch/sdk";
import { describe, expect, it } from "vitest";
import { boolFlag } from "../../sdk/test/support/flags.js";
import { flagCompileErrors, segmentCompileErrors } from "../../src/core/compile-check.js";

const flag = (more: Partial<WireFlag> = {}): WireFlag => boolFlag("f", more);
const segment = (more: Partial<Segment> = {}): Segment => ({ key: "s", include: [], exclude: [], rules: [], version: 1, ...more });
const FEB_30 = "2026-02-30T00:00:00Z";
const pathsOf = (errors: { path: string }[]) => errors.map((e) => e.path);

describe("flagCompileErrors", () => {
  it("is empty for a flag the SDK compiles", () => {
    expect(flagCompileErrors(flag({ rules: [{ id: "r", when: [{ segment: ["s"] }], serve: { variant: "off" } }] }), { s: segment() })).toEqual([]);
  });

  it("points at the value the SDK refuses, in the rule where it stands", () => {
    const rules = [
      { id: "ok", when: [{ attribute: "employer", op: "in" as const, values: ["acme"] }], serve: { variant: "off" } },
      { id: "bad", when: [{ attribute: "t", op: "before" as const, values: ["2026-01-01T00:00:00Z", FEB_30] }], serve: { variant: "off" } },
    ];
    const errors = flagCompileErrors(flag({ rules }), {});
    expect(errors).toEqual([{ path: "rules[1].when[0].values[1]", message: expect.stringContaining(FEB_30), code: "uncompilable" }]);
    expect(errors[0]!.message).toMatch(/callers' defaults/);
  });

  it("finds a version over 256 characters, an unknown operator, and an empty list", () => {
    const when = [
      { attribute: "v", op: "semverLt" as const, values: ["1.2.3-" + "a".repeat(300)] },
      { attribute: "v", op: "matches" as never, values: ["x"] },
      { attribute: "v", op: "in" as const, values: [] },
    ];
    expect(pathsOf(flagCompileErrors(flag({ rules: [{ id: "r", when, serve: { variant: "off" } }] }), {}))).toEqual([
      "rules[0].when[0].values[0]",
      "rules[0].when[1].op",
      "rules[0].when[2].values",
    ]);
  });

  it("names a missing or uncompilable segment at its place in the list", () => {
    const rules = [{ id: "r", when: [{ segment: ["good", "broken", "gone"] }], serve: { variant: "off" } }];
    const broken = segment({ key: "broken", rules: [{ when: [{ attribute: "t", op: "after", values: [FEB_30] }] }] });
    const errors = flagCompileErrors(flag({ rules }), { good: segment({ key: "good" }), broken });
    expect(errors).toEqual([
      expect.objectContaining({ path: "rules[0].when[0].segment[1]", message: expect.stringMatching(/segment "broken" cannot be compiled/) }),
      expect.objectContaining({ path: "rules[0].when[0].segment[2]", message: expect.stringMatching(/no segment "gone"/) }),
    ]);
  });

  it("points at fields outside the rules: offVariant, a serve's variant, rollout weights", () => {
    expect(pathsOf(flagCompileErrors(flag({ offVariant: "nope" }), {}))).toEqual(["offVariant"]);
    expect(pathsOf(flagCompileErrors(flag({ fallthrough: { rollout: { weights: { on: 5 } } } }), {}))).toEqual(["fallthrough.rollout.weights"]);
    expect(pathsOf(flagCompileErrors(flag({ rules: [{ id: "r", when: [], serve: { variant: "maybe" } }] }), {}))).toEqual(["rules[0].serve.variant"]);
  });
});

describe("segmentCompileErrors", () => {
  it("is empty for a segment the SDK compiles, and points at the value it refuses", () => {
    expect(segmentCompileErrors(segment({ rules: [{ when: [{ attribute: "t", op: "after", values: ["2026-02-28"] }] }] }))).toEqual([]);
    const rules = [{ when: [{ attribute: "x", op: "exists" as const }, { attribute: "t", op: "after" as const, values: ["2026-01-01T24:00:00Z"] }] }];
    expect(pathsOf(segmentCompileErrors(segment({ rules })))).toEqual(["rules[0].when[1].values[0]"]);
  });

  it("refuses a segment condition inside a segment rule at that condition", () => {
    const rules = [{ when: [{ segment: ["other"] } as never] }];
    expect(pathsOf(segmentCompileErrors(segment({ rules })))).toEqual(["rules[0].when[0]"]);
  });
});
