import type { Segment, WireFlag } from "../../src/model.js";

/** A boolean availability flag, on by default, with optional rules and fail mode. */
export const boolFlag = (key: string, overrides: Partial<WireFlag> = {}): WireFlag => ({
  key,
  kind: "boolean",
  variants: { on: true, off: false },
  enabled: true,
  offVariant: "off",
  rules: [],
  fallthrough: { variant: "on" },
  failMode: "open",
  version: 1,
  ...overrides,
});

/** `model.fable-5`, blocked for the `foreign-nationals` segment, fail-closed. */
export const blockedForForeigners = (version = 1): WireFlag =>
  boolFlag("model.fable-5", {
    failMode: "closed",
    version,
    rules: [{ id: "r1", when: [{ segment: ["foreign-nationals"] }], serve: { variant: "off" } }],
  });

/** Everyone without US nationality (or without any nationality). */
export const foreignNationals = (version = 1): Segment => ({
  key: "foreign-nationals",
  include: [],
  exclude: [],
  rules: [{ when: [{ attribute: "nationality", op: "notIn", values: ["US"] }] }],
  version,
});
