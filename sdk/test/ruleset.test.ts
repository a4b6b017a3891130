import { describe, expect, it } from "vitest";
import type { Segment, WireFlag } from "../src/model.js";
import { explainFlag } from "../src/explain.js";
import { Ruleset } from "../src/ruleset.js";
import { checkFlag, checkSegment, isInstant, isSemver } from "../src/validate.js";

function flag(key: string, o: Partial<WireFlag> = {}): WireFlag {
  return { key, kind: "boolean", variants: { on: true, off: false }, enabled: true, offVariant: "off", rules: [], fallthrough: { variant: "on" }, failMode: "open", version: 1, ...o };
}
const segmentBlock = (key: string, segment: string) => flag(key, { rules: [{ id: "r1", when: [{ segment: [segment] }], serve: { variant: "off" } }] });
const segment = (key: string, o: Partial<Segment> = {}): Segment => ({ key, include: [], exclude: [], rules: [], version: 1, ...o });
const noPatch = { flags: {}, segments: {}, removed: { flags: [], segments: [] } };

describe("Ruleset", () => {
  it("has version -1 before the first load and the loaded version after", () => {
    const rules = new Ruleset();
    expect(rules.version).toBe(-1);
    rules.load({}, {}, 12);
    expect(rules.version).toBe(12);
    rules.patch(noPatch, 13);
    expect(rules.version).toBe(13);
  });

  it("answers PROVIDER_NOT_READY with the caller's default before the first load", () => {
    expect(new Ruleset().evaluate("a", {}, true)).toMatchObject({ value: true, reason: "ERROR", errorCode: "PROVIDER_NOT_READY" });
  });

  it("keeps flags in load order; a patch appends new flags and keeps the place of updated ones", () => {
    const rules = new Ruleset();
    rules.load({ b: flag("b"), a: flag("a"), c: flag("c") }, {}, 1);
    expect(rules.keys()).toEqual(["b", "a", "c"]);
    rules.patch({ flags: { d: flag("d"), a: flag("a", { enabled: false }) }, segments: {}, removed: { flags: ["c"], segments: [] } }, 2);
    expect(rules.keys()).toEqual(["b", "a", "d"]);
    expect(rules.evaluate("a", {}, true).reason).toBe("DISABLED");
    expect(rules.evaluate("c", {}, true).errorCode).toBe("FLAG_NOT_FOUND");
  });

  it("returns the raw flag as loaded", () => {
    const a = flag("a");
    const rules = new Ruleset();
    rules.load({ a }, {}, 1);
    expect(rules.flag("a")).toBe(a);
    expect(rules.flag("b")).toBeUndefined();
  });

  it("replaces everything on load", () => {
    const rules = new Ruleset();
    rules.load({ a: flag("a") }, {}, 1);
    rules.load({ b: flag("b") }, {}, 5);
    expect(rules.keys()).toEqual(["b"]);
  });

  it("serves the new config of the flag evaluated last, after a load and after a patch", () => {
    const rules = new Ruleset();
    rules.load({ a: flag("a") }, {}, 1);
    expect(rules.evaluate("a", {}, false).reason).toBe("STATIC");
    rules.load({ a: flag("a", { enabled: false }) }, {}, 2);
    expect(rules.evaluate("a", {}, false).reason).toBe("DISABLED");
    rules.patch({ ...noPatch, flags: { a: flag("a") } }, 3);
    expect(rules.resolve("a", {}).reason).toBe("STATIC");
    rules.patch({ ...noPatch, removed: { flags: ["a"], segments: [] } }, 4);
    expect(rules.evaluate("a", {}, false).errorCode).toBe("FLAG_NOT_FOUND");
  });

  it("keeps a flag it cannot compile, answering PARSE_ERROR, without affecting the others", () => {
    const rules = new Ruleset();
    const broken = flag("broken", { rules: [{ id: "r1", when: [{ attribute: "x", op: "regex" as never, values: ["."] }], serve: { variant: "off" } }] });
    expect(() => rules.load({ a: flag("a"), broken, junk: null as never, c: flag("c", { enabled: false }) }, {}, 1)).not.toThrow();
    expect(rules.evaluate("a", {}, false)).toEqual({ value: true, variant: "on", reason: "STATIC" });
    expect(rules.evaluate("c", {}, true)).toEqual({ value: false, variant: "off", reason: "DISABLED" });
    expect(rules.evaluate("broken", {}, false)).toEqual({ value: false, reason: "ERROR", errorCode: "PARSE_ERROR", errorMessage: "invalid op" });
    expect(rules.problem("broken")).toBe("invalid op");
    expect(rules.problem("a")).toBeUndefined();
    expect(rules.resolve("junk", {})).toMatchObject({ value: null, errorCode: "PARSE_ERROR" });
  });

  it("recompiles the flags that name a patched segment", () => {
    const rules = new Ruleset();
    rules.load({ a: segmentBlock("a", "s"), b: flag("b") }, { s: segment("s") }, 1);
    expect(rules.evaluate("a", { key: "u1" }, true).value).toBe(true);
    rules.patch({ ...noPatch, segments: { s: segment("s", { include: ["u1"] }) } }, 2);
    expect(rules.evaluate("a", { key: "u1" }, true)).toEqual({ value: false, variant: "off", reason: "TARGETING_MATCH", ruleId: "r1" });
  });

  it("turns a flag into PARSE_ERROR when its segment is removed, and back when the segment returns", () => {
    const rules = new Ruleset();
    rules.load({ a: segmentBlock("a", "s") }, { s: segment("s", { include: ["u1"] }) }, 1);
    rules.patch({ ...noPatch, removed: { flags: [], segments: ["s"] } }, 2);
    expect(rules.evaluate("a", { key: "u1" }, false).errorCode).toBe("PARSE_ERROR");
    rules.patch({ ...noPatch, segments: { s: segment("s", { include: ["u1"] }) } }, 3);
    expect(rules.evaluate("a", { key: "u1" }, true).variant).toBe("off");
  });

  it("compiles a patched flag against the segments of the same patch", () => {
    const rules = new Ruleset();
    rules.load({}, {}, 1);
    rules.patch({ flags: { a: segmentBlock("a", "s") }, segments: { s: segment("s", { include: ["u1"] }) }, removed: { flags: [], segments: [] } }, 2);
    expect(rules.evaluate("a", { key: "u1" }, true).ruleId).toBe("r1");
  });

  it("recompiles only the flags a patch names and those naming a segment it changes or removes, and says which", () => {
    const rules = new Ruleset();
    rules.load({ a: segmentBlock("a", "s"), b: segmentBlock("b", "t"), c: flag("c"), d: segmentBlock("d", "missing") }, { s: segment("s"), t: segment("t") }, 1);
    const compiled = () => Object.fromEntries(rules.keys().map((k) => [k, rules._flags.get(k)]));
    const before = compiled();
    expect(rules.patch({ ...noPatch, segments: { s: segment("s", { include: ["u1"] }) } }, 2)).toEqual(["a"]);
    let after = compiled();
    expect(after.a).not.toBe(before.a);
    for (const k of ["b", "c", "d"]) expect(after[k]).toBe(before[k]);
    // A flag that failed on a missing segment is recompiled when the segment arrives.
    expect(rules.patch({ ...noPatch, flags: { c: flag("c", { enabled: false }) }, segments: { missing: segment("missing") } }, 3).sort()).toEqual(["c", "d"]);
    expect(rules.problem("d")).toBeUndefined();
    after = compiled();
    expect(after.b).toBe(before.b);
    expect(rules.patch({ ...noPatch, removed: { flags: ["c"], segments: ["t"] } }, 4).sort()).toEqual(["b", "c"]);
    expect(rules.problem("b")).toBe("invalid segment");
  });

  it("follows a flag that stops naming a segment", () => {
    const rules = new Ruleset();
    rules.load({ a: segmentBlock("a", "s") }, { s: segment("s"), t: segment("t") }, 1);
    rules.patch({ ...noPatch, flags: { a: segmentBlock("a", "t") } }, 2);
    const a = rules._flags.get("a");
    expect(rules.patch({ ...noPatch, segments: { s: segment("s", { include: ["u1"] }) } }, 3)).toEqual([]);
    expect(rules._flags.get("a")).toBe(a);
    expect(rules.patch({ ...noPatch, segments: { t: segment("t", { include: ["u1"] }) } }, 4)).toEqual(["a"]);
    expect(rules.evaluate("a", { key: "u1" }, true).value).toBe(false);
  });

  it.each<[string, Record<string, unknown>]>([
    ['flags: "abc"', { flags: "abc" }],
    ["segments that are a list", { segments: [segment("s")] }],
    ["removed flags that are a string", { removed: { flags: "a", segments: [] } }],
    ["a removed segment that is not a string", { removed: { flags: [], segments: [1] } }],
  ])("refuses a patch with %s before it changes anything", (_, fields) => {
    const rules = new Ruleset();
    rules.load({ a: segmentBlock("a", "s") }, { s: segment("s", { include: ["u1"] }) }, 1);
    const patch = { flags: { b: flag("b") }, segments: { s: segment("s") }, removed: { flags: ["a"], segments: [] }, ...fields };
    expect(() => rules.patch(patch as never, 2)).toThrow(/^invalid /);
    expect(rules.version).toBe(1);
    expect(rules.keys()).toEqual(["a"]);
    expect(rules.evaluate("a", { key: "u1" }, true).value).toBe(false);
  });

  it("refuses a load whose flags or segments are not objects, and keeps what it had", () => {
    const rules = new Ruleset();
    rules.load({ a: flag("a") }, {}, 1);
    expect(() => rules.load("abc" as never, {}, 2)).toThrow("invalid snapshot");
    expect(() => rules.load({}, null as never, 2)).toThrow("invalid snapshot");
    expect(rules.keys()).toEqual(["a"]);
    expect(rules.version).toBe(1);
  });

  it("refuses a patch without a removed field, and changes nothing", () => {
    const rules = new Ruleset();
    rules.load({ a: flag("a") }, {}, 1);
    expect(() => rules.patch({ flags: { b: flag("b") }, segments: {} } as never, 2)).toThrow("invalid removed");
    expect(rules.keys()).toEqual(["a"]);
    expect(rules.version).toBe(1);
  });

  it("returns the same frozen result object for every evaluation of the same outcome", () => {
    const rules = new Ruleset();
    rules.load({ a: flag("a", { rules: [{ id: "r1", when: [{ attribute: "nationality", op: "notIn", values: ["US"] }], serve: { variant: "off" } }] }) }, {}, 1);
    const first = rules.evaluate("a", { key: "u1", nationality: "FR" }, true);
    expect(rules.evaluate("a", { key: "u2" }, true)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it("uses the staleAfterMs option for flags without their own", () => {
    const rules = new Ruleset({ staleAfterMs: 1_000 });
    rules.load({ a: flag("a", { failMode: "closed" }), b: flag("b", { failMode: "closed", staleAfterMs: 5_000 }) }, {}, 1);
    expect(rules.evaluate("a", {}, true, 1_000).reason).toBe("STALE");
    expect(rules.evaluate("b", {}, true, 1_000).reason).toBe("STATIC");
    expect(rules.resolve("b", {}, 5_000).reason).toBe("STALE");
  });

  it("reads currentTime from the real clock by default", () => {
    const rules = new Ruleset();
    const when = (op: "before" | "after") => [{ attribute: "currentTime", op, values: ["2000-01-01T00:00:00Z"] }];
    rules.load({ after: flag("after", { rules: [{ id: "r", when: when("after"), serve: { variant: "off" } }] }) }, {}, 1);
    expect(rules.evaluate("after", {}, true).value).toBe(false);
  });

  it("reads a context that is not an object as an empty one", () => {
    const rules = new Ruleset();
    rules.load({ a: flag("a", { rules: [{ id: "r1", when: [{ attribute: "nationality", op: "notIn", values: ["US"] }], serve: { variant: "off" } }] }) }, {}, 1);
    for (const context of [null, undefined, "US", 5, true]) expect(rules.evaluate("a", context as never, true).ruleId).toBe("r1");
  });

  it("serves the default with GENERAL instead of throwing when a context getter throws", () => {
    const rules = new Ruleset();
    rules.load({ a: flag("a", { rules: [{ id: "r1", when: [{ attribute: "nationality", op: "in", values: ["US"] }], serve: { variant: "off" } }] }) }, {}, 1);
    const hostile = {
      get nationality(): string {
        throw new Error("boom");
      },
    };
    expect(rules.evaluate("a", hostile, true)).toMatchObject({ value: true, reason: "ERROR", errorCode: "GENERAL" });
    expect(rules.resolve("a", hostile)).toMatchObject({ value: null, errorCode: "GENERAL" });
    expect(explainFlag(rules, "a", hostile)?.rules).toEqual([]);
    const proxy = new Proxy({}, { get: () => { throw new Error("trap"); }, has: () => { throw new Error("trap"); } });
    expect(rules.evaluate("a", proxy, false).errorCode).toBe("GENERAL");
  });

  it("reports the flag's kind on TYPE_MISMATCH", () => {
    const rules = new Ruleset();
    rules.load({ a: flag("a") }, {}, 1);
    expect(rules.evaluate("a", {}, "on")).toEqual({ value: "on", reason: "ERROR", errorCode: "TYPE_MISMATCH", errorMessage: "boolean" });
  });

  it("resolve() serves the variant's own value, and null on error", () => {
    const rules = new Ruleset();
    rules.load({ a: flag("a", { kind: "string", variants: { on: "yes", off: "no" } }) }, {}, 1);
    expect(rules.resolve("a", {})).toEqual({ value: "yes", variant: "on", reason: "STATIC" });
    expect(rules.resolve("b", {})).toEqual({ value: null, reason: "ERROR", errorCode: "FLAG_NOT_FOUND", errorMessage: "b" });
  });
});

describe("checkFlag", () => {
  it("says why the evaluator cannot compile a flag against the given segments", () => {
    expect(checkFlag(segmentBlock("a", "s"), {})).toBe("invalid segment");
  });

  it("says nothing for a flag it can compile", () => {
    expect(checkFlag(segmentBlock("a", "s"), { s: segment("s") })).toBeUndefined();
  });
});

describe("checkSegment, isInstant, isSemver", () => {
  it("says why the evaluator cannot compile a segment, and nothing for one it can", () => {
    const broken = { ...segment("s"), rules: [{ when: [{ attribute: "t", op: "before" as const, values: ["2026-02-30T00:00:00Z"] }] }] };
    expect(checkSegment(broken)).toBe("invalid values");
    expect(checkSegment(segment("s"))).toBeUndefined();
  });

  it("reads instants and versions as the evaluator does", () => {
    expect(isInstant("2026-02-28T00:00:00Z")).toBe(true);
    expect(isInstant("2026-02-30T00:00:00Z")).toBe(false);
    expect(isInstant("2026-01-01T24:00:00Z")).toBe(false);
    expect(isSemver("1.2.3-" + "a".repeat(250))).toBe(true);
    expect(isSemver("1.2.3-" + "a".repeat(300))).toBe(false);
  });
});
