import { describe, expect, it } from "vitest";
import { defaultConfig } from "../../src/core/flag-defaults.js";

describe("default configs", () => {
  it("serves on and kills to off when the flag has them", () => {
    expect(defaultConfig({ off: false, on: true })).toEqual({
      enabled: true,
      offVariant: "off",
      rules: [],
      fallthrough: { variant: "on" },
      failMode: "open",
    });
  });

  it("serves the first variant and kills to the last otherwise", () => {
    expect(defaultConfig({ premium: "p", standard: "s", blocked: "b" })).toMatchObject({
      offVariant: "blocked",
      fallthrough: { variant: "premium" },
    });
  });
});
