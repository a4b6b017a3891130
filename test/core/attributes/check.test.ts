import type { AttributeCondition } from "@killswitch/sdk";
import { describe, expect, it } from "vitest";
import { BUILT_IN_ATTRIBUTES } from "../../../src/core/attributes/builtin.js";
import { configAttributeErrors, conditionsErrors, type Declarations } from "../../../src/core/attributes/check.js";
import type { AttributeView } from "../../../src/core/schemas/responses.js";

const declare = (...extra: AttributeView[]): Declarations =>
  new Map([...BUILT_IN_ATTRIBUTES, ...extra].map((attribute) => [attribute.name, attribute]));
const own = (name: string, more: Partial<AttributeView> = {}): AttributeView => ({ name, list: false, builtIn: false, ...more });
const errorsOf = (condition: AttributeCondition, declared = declare()) => conditionsErrors([condition], declared, "when");

describe("undeclared attributes", () => {
  it("are refused with the closest declared name within two edits", () => {
    expect(errorsOf({ attribute: "nationalty", op: "in", values: ["FR"] })).toEqual([
      {
        path: "when[0].attribute",
        message: 'unknown attribute "nationalty": did you mean "nationality"? Declare it first with POST /v1/attributes',
        code: "unknown_attribute",
      },
    ]);
    expect(errorsOf({ attribute: "nationalty", op: "notIn", values: ["us"] })[0]!.path).toBe("when[0].attribute");
    expect(errorsOf({ attribute: "employr", op: "exists" })[0]!.message).toContain('did you mean "employer"?');
  });

  it("are refused without a suggestion when no name is that close", () => {
    expect(errorsOf({ attribute: "citizenship", op: "in", values: ["FR"] })[0]!.message).toBe(
      'unknown attribute "citizenship": declare it first with POST /v1/attributes',
    );
  });

  it("suggest a declared dotted path too", () => {
    expect(errorsOf({ attribute: "org.contry", op: "in", values: ["x"] }, declare(own("org.country")))[0]!.message).toContain('"org.country"');
  });

  it("include a rollout's bucketBy, and key by default", () => {
    const config = { rules: [], fallthrough: { rollout: { bucketBy: "acount", weights: { on: 100000 } } } };
    expect(configAttributeErrors(config, declare(own("account")))).toEqual([
      expect.objectContaining({ path: "fallthrough.rollout.bucketBy", message: expect.stringContaining('did you mean "account"?') }),
    ]);
    expect(configAttributeErrors({ rules: [], fallthrough: { rollout: { weights: { on: 100000 } } } }, declare())).toEqual([]);
  });
});

describe("declared types", () => {
  it("refuse an operator that cannot apply: semverLt on a string, before on a number", () => {
    expect(errorsOf({ attribute: "employer", op: "semverLt", values: ["1.2.3"] })).toEqual([
      expect.objectContaining({ path: "when[0].op", message: expect.stringMatching(/"semverLt" cannot apply to "employer", declared as string/), code: "operator_mismatch" }),
    ]);
    const age = declare(own("age", { type: "number" }));
    expect(errorsOf({ attribute: "age", op: "before", values: ["2026-01-01"] }, age)[0]!.path).toBe("when[0].op");
    expect(errorsOf({ attribute: "age", op: "gte", values: [18] }, age)).toEqual([]);
  });

  it("refuse in/notIn values of another type, which could never be equal", () => {
    const age = declare(own("age", { type: "number" }));
    expect(errorsOf({ attribute: "age", op: "in", values: [18, "18"] }, age)).toEqual([
      expect.objectContaining({ path: "when[0].values[1]", code: "value_type_mismatch" }),
    ]);
  });

  it("let any operator use an untyped attribute", () => {
    const plan = declare(own("plan"));
    for (const op of ["in", "semverLt", "before", "lt"] as const) {
      expect(errorsOf({ attribute: "plan", op, values: [op === "lt" ? 1 : op === "before" ? "2026-01-01" : "1.0.0"] }, plan)).toEqual([]);
    }
  });

  it("let semver and instant attributes use the string operators and their own", () => {
    const declared = declare(own("appVersion", { type: "semver" }));
    expect(errorsOf({ attribute: "appVersion", op: "startsWith", values: ["1."] }, declared)).toEqual([]);
    expect(errorsOf({ attribute: "appVersion", op: "semverGt", values: ["1.2.3"] }, declared)).toEqual([]);
    expect(errorsOf({ attribute: "currentTime", op: "after", values: ["2026-01-01T00:00:00Z"] })).toEqual([]);
    expect(errorsOf({ attribute: "currentTime", op: "lt", values: [1] })[0]!.path).toBe("when[0].op");
  });

  it("keep a list or a boolean out of a rollout's buckets", () => {
    const rollout = (bucketBy: string) => ({ rules: [], fallthrough: { rollout: { bucketBy, weights: { on: 100000 } } } });
    expect(configAttributeErrors(rollout("nationality"), declare())[0]!.message).toMatch(/list/);
    expect(configAttributeErrors(rollout("beta"), declare(own("beta", { type: "boolean" })))[0]!.message).toMatch(/string or a number/);
    expect(configAttributeErrors(rollout("org.id"), declare(own("org.id", { type: "number" })))).toEqual([]);
  });
});

describe("ISO 3166 codes", () => {
  it("follow the declaration: nationality and region are declared with them", () => {
    expect(errorsOf({ attribute: "nationality", op: "notIn", values: ["US", "us"] })).toEqual([
      expect.objectContaining({ path: "when[0].values[1]", message: expect.stringMatching(/"us" is not an upper-case ISO 3166 code/) }),
    ]);
    expect(errorsOf({ attribute: "region", op: "in", values: ["US-CA", "FR"] })).toEqual([]);
  });

  it("follow the declaration, not the name", () => {
    const declared = declare(own("home", { type: "string", codes: "iso3166" }), own("user.nationality"));
    expect(errorsOf({ attribute: "home", op: "in", values: ["fr"] }, declared)[0]!.path).toBe("when[0].values[0]");
    // A name ending in nationality says nothing: its declaration has no codes.
    expect(errorsOf({ attribute: "user.nationality", op: "in", values: ["fr"] }, declared)).toEqual([]);
  });
});
