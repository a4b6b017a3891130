import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Ruleset } from "../src/ruleset.js";
import { caseClock, caseFlagKey, comparable, conformance, type ConformanceCase } from "./conformance/load.js";

function run(c: ConformanceCase) {
  const now = caseClock(c);
  const rules = new Ruleset(now ? { now } : {});
  rules.load({ [c.flag.key]: c.flag }, c.segments ?? {}, 1);
  return rules.evaluate(caseFlagKey(c), c.context, c.default, c.silentForMs);
}

describe("conformance cases (sdk/test/conformance/cases.json)", () => {
  it("is spec version 1 with at least 150 uniquely named cases", () => {
    expect(conformance.specVersion).toBe(1);
    expect(conformance.cases.length).toBeGreaterThanOrEqual(150);
    expect(new Set(conformance.cases.map((c) => c.name)).size).toBe(conformance.cases.length);
  });

  it.each(conformance.cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    expect(comparable(run(c))).toEqual(c.expected);
  });

  it("resolve() agrees with evaluate() on every case that is not an error", () => {
    for (const c of conformance.cases.filter((k) => k.expected.reason !== "ERROR")) {
      const now = caseClock(c);
      const rules = new Ruleset(now ? { now } : {});
      rules.load({ [c.flag.key]: c.flag }, c.segments ?? {}, 1);
      expect(comparable(rules.resolve(caseFlagKey(c), c.context, c.silentForMs)), c.name).toEqual(c.expected);
    }
  });

  it("passes every case in a process that forbids eval and new Function, as Workers do", () => {
    const child = spawnSync(
      process.execPath,
      ["--disallow-code-generation-from-strings", "--import", "tsx", fileURLToPath(new URL("./fixtures/conformance-child.ts", import.meta.url))],
      { encoding: "utf8", cwd: fileURLToPath(new URL("../../", import.meta.url)) },
    );
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({ cases: conformance.cases.length, failed: [], codegen: false });
  });
});
