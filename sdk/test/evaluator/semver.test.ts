import { describe, expect, it } from "vitest";
import { compareSemver, parseSemver } from "../../src/evaluator/semver.js";

const cmp = (a: string, b: string) => Math.sign(compareSemver(parseSemver(a)!, parseSemver(b)!));

describe("parseSemver", () => {
  it.each(["0.0.0", "1.2.3", "10.20.30", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-0.3.7", "1.0.0-x.7.z.92", "1.0.0+20130313144700", "1.0.0-beta+exp.sha.5114f85", "1.0.0-x-y-z.--", "99999999999999999999.0.0", "1.0.0-0a.01b.0", "1.0.0-RC.1+Build.007"])(
    "accepts %s",
    (v) => {
      expect(parseSemver(v)).toBeDefined();
    },
  );

  it.each(["", "1", "1.2", "1.2.3.4", "v1.2.3", "01.2.3", "1.02.3", "1.2.03", "1.2.3-", "1.2.3-01", "1.2.3-a.00", "1.2.3-rc.01.x", "1.2.3-a..b", "1.2.3+", "1.2.3 ", " 1.2.3", "1.2.3-é", "a.b.c"])(
    "refuses %j",
    (v) => {
      expect(parseSemver(v)).toBeUndefined();
    },
  );

  it("refuses strings longer than 256 characters, like npm's semver", () => {
    expect(parseSemver(`1.2.3-${"a".repeat(251)}`)).toBeUndefined();
  });

  it("accepts exactly 256 characters", () => {
    expect(parseSemver(`1.2.3-${"a".repeat(250)}`)).toBeDefined();
  });

  it("keeps the numbers as digit strings and splits the pre-release", () => {
    expect(parseSemver("1.2.3-rc.1+build")).toEqual(["1", "2", "3", "rc", "1"]);
  });
});

describe("compareSemver", () => {
  it("orders the precedence chain of semver.org", () => {
    const chain = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "2.0.0", "2.1.0", "2.1.1"];
    for (let i = 0; i < chain.length; i++) {
      for (let j = 0; j < chain.length; j++) expect(cmp(chain[i]!, chain[j]!), `${chain[i]} vs ${chain[j]}`).toBe(Math.sign(i - j));
    }
  });

  it("compares numbers numerically at any size", () => {
    expect(cmp("1.10.0", "1.9.0")).toBe(1);
    expect(cmp("12345678901234567890.0.0", "12345678901234567889.0.0")).toBe(1);
  });

  it("treats an identifier as numeric only when it is all digits", () => {
    // Numeric identifiers rank below alphanumeric ones, whatever their characters' order.
    expect(cmp("1.0.0-1-", "1.0.0-10")).toBe(1);
    expect(cmp("1.0.0--1", "1.0.0-10")).toBe(1);
    expect(cmp("1.0.0-10", "1.0.0-1-")).toBe(-1);
  });

  it("ignores build metadata", () => {
    expect(cmp("1.0.0+a", "1.0.0+b")).toBe(0);
  });
});
