import { describe, expect, it } from "vitest";
import {
  conditionInWords,
  conditionsInWords,
  fallthroughInWords,
  killInWords,
  ruleInWords,
  segmentInWords,
  serveInWords,
} from "../../../src/core/rules/plain-words.js";

describe("plain words", () => {
  it("says a block as an on-call engineer would", () => {
    expect(ruleInWords({ when: [{ attribute: "nationality", op: "notIn", values: ["US"] }], serve: { variant: "off" } })).toBe(
      "off for nationality not in US",
    );
    expect(
      ruleInWords({
        when: [
          { attribute: "nationality", op: "notIn", values: ["US", "CA"] },
          { attribute: "employer", op: "in", values: ["acme"] },
        ],
        serve: { variant: "off" },
      }),
    ).toBe("off for nationality not in US, CA and employer in acme");
    expect(ruleInWords({ when: [], serve: { variant: "on" } })).toBe("on for everyone");
    expect(killInWords("off")).toBe("off for everyone (killed)");
  });

  it.each([
    [{ attribute: "email", op: "endsWith", values: ["@acme.com", "@acme.org"] }, "email ends with @acme.com or @acme.org"],
    [{ attribute: "name", op: "startsWith", values: ["Dr. No"] }, 'name starts with "Dr. No"'],
    [{ attribute: "age", op: "lt", values: [18] }, "age less than 18"],
    [{ attribute: "age", op: "gte", values: [21] }, "age at least 21"],
    [{ attribute: "app", op: "semverLt", values: ["2.0.0"] }, "app below version 2.0.0"],
    [{ attribute: "currentTime", op: "after", values: ["2026-12-01T00:00:00Z"] }, "currentTime after 2026-12-01T00:00:00Z"],
    [{ attribute: "plan", op: "exists" }, "plan is set"],
    [{ attribute: "plan", op: "missing" }, "plan is missing"],
    [{ attribute: "beta", op: "in", values: [true] }, "beta in true"],
    [{ attribute: "org.country", op: "in", values: ["a, b"] }, 'org.country in "a, b"'],
    [{ segment: ["foreign-nationals"] }, "in segment foreign-nationals"],
    [{ segment: ["a", "b"] }, "in segment a or b"],
    [{ segment: ["staff"], negate: true }, "not in segment staff"],
    [{ segment: ["a", "b"], negate: true }, "in none of the segments a, b"],
  ] as const)("%j → %s", (condition, words) => {
    expect(conditionInWords(condition as never)).toBe(words);
  });

  it("cuts long lists with a count of the rest", () => {
    const values = Array.from({ length: 25 }, (_, i) => `C${i}`);
    expect(conditionInWords({ attribute: "region", op: "in", values })).toMatch(/^region in C0, C1, .*C19 and 5 more$/);
    expect(conditionsInWords([])).toBe("everyone");
  });

  it("says rollouts in percent, and the fallthrough", () => {
    expect(serveInWords({ rollout: { weights: { on: 10_000, off: 90_000 } } })).toBe("a rollout of on 10 %, off 90 %");
    expect(serveInWords({ rollout: { bucketBy: "org", weights: { on: 12_345, off: 87_655 } } })).toBe("a rollout of on 12.35 %, off 87.66 % by org");
    expect(fallthroughInWords({ variant: "on" })).toBe("otherwise on");
  });

  it("lists a segment's ways in: exclusions first, then keys, then rules", () => {
    expect(segmentInWords({ include: [], exclude: ["user-123"], rules: [{ when: [{ attribute: "nationality", op: "notIn", values: ["US"] }] }] })).toEqual([
      "except keys user-123",
      "nationality not in US",
    ]);
    expect(segmentInWords({ include: ["u-1", "u-2"], exclude: [], rules: [] })).toEqual(["keys u-1, u-2"]);
    expect(segmentInWords({ include: [], exclude: ["u-1"], rules: [] })).toEqual(["nobody"]);
  });
});
