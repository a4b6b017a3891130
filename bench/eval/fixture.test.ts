import { describe, expect, it } from "vitest";
import { BLOCKED_REGIONS, FLAG, generateContexts, referenceEnabled, type BenchContext } from "./fixture.js";

describe("generateContexts", () => {
  it("gives the same contexts for the same seed and different ones for another seed", () => {
    expect(generateContexts(500, 7)).toEqual(generateContexts(500, 7));
    expect(generateContexts(500, 8)).not.toEqual(generateContexts(500, 7));
  });

  it("covers every case the rule distinguishes", () => {
    const contexts = generateContexts(10_000);
    const has = (test: (c: BenchContext) => boolean) => contexts.some(test);
    expect(has((c) => c.nationality === undefined)).toBe(true);
    expect(has((c) => c.nationality === "US")).toBe(true);
    expect(has((c) => typeof c.nationality === "string" && c.nationality !== "US")).toBe(true);
    expect(has((c) => Array.isArray(c.nationality) && c.nationality.includes("US"))).toBe(true);
    expect(has((c) => Array.isArray(c.nationality) && !c.nationality.includes("US"))).toBe(true);
    for (const region of BLOCKED_REGIONS) expect(has((c) => c.region === region)).toBe(true);
    expect(has((c) => c.region === undefined)).toBe(true);
    expect(has((c) => c.employer === "acme-defense")).toBe(true);
    expect(has((c) => c.employer === undefined)).toBe(true);
    const on = contexts.filter(referenceEnabled).length;
    expect(on).toBeGreaterThan(1_000);
    expect(on).toBeLessThan(9_000);
  });
});

describe("referenceEnabled", () => {
  it.each<[string, BenchContext, boolean]>([
    ["a US citizen elsewhere", { key: "a", nationality: "US", region: "FR", employer: "globex" }, true],
    ["a US citizen without region or employer", { key: "b", nationality: "US" }, true],
    ["an unknown nationality counts as foreign", { key: "c", region: "US" }, false],
    ["a foreign national", { key: "d", nationality: "FR", region: "US" }, false],
    ["a US/FR dual national", { key: "e", nationality: ["FR", "US"], region: "US" }, true],
    ["a FR/DE dual national", { key: "f", nationality: ["FR", "DE"] }, false],
    ["a US citizen in a sanctioned region", { key: "g", nationality: "US", region: "IR" }, false],
    ["a US citizen at acme-defense", { key: "h", nationality: "US", employer: "acme-defense" }, false],
    ["codes compare exactly", { key: "i", nationality: "us" }, false],
  ])("%s", (_name, context, expected) => {
    expect(referenceEnabled(context)).toBe(expected);
  });

  it("is what the fixture's flag says: three rules serving off, fallthrough on", () => {
    expect(FLAG.rules.map((r) => r.serve)).toEqual([{ variant: "off" }, { variant: "off" }, { variant: "off" }]);
    expect(FLAG.fallthrough).toEqual({ variant: "on" });
  });
});
