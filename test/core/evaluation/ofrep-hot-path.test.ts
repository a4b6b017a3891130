/**
 * The single-flag OFREP route's shortcuts (src/core/evaluation/ofrep.ts,
 * ruleset-cache.ts): they must answer exactly what the plain path answers.
 */
import type { EvaluationContext, WireFlag } from "@killswitch/sdk";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isOfrepRequest, ofrepAnswer, ofrepAnswerJson, ofrepContext } from "../../../src/core/evaluation/ofrep.js";
import { RulesetCache, type RulesetSource } from "../../../src/core/evaluation/ruleset-cache.js";
import { ofrepRequestSchema } from "../../../src/core/schemas/ofrep.js";
import { caseClock, caseFlagKey, conformance } from "../../../sdk/test/conformance/load.js";
import { boolFlag } from "../../../sdk/test/support/flags.js";

/** One environment whose version and flags a test sets; the version is known without a read. */
function memorySource(flags: Record<string, WireFlag>) {
  const state = { version: 1, flags, reads: 0 };
  const source: RulesetSource = {
    envVersion: () => state.version,
    snapshot: async () => {
      state.reads++;
      return { version: state.version, flags: structuredClone(state.flags), segments: {} };
    },
    changesSince: async () => null,
  };
  return { state, source };
}

describe("isOfrepRequest", () => {
  it("accepts exactly what ofrepRequestSchema accepts", () => {
    const samples: unknown[] = [
      { context: {} },
      { context: { targetingKey: 5, region: "US" }, extra: [1] },
      { context: [] },
      { context: null },
      { context: "x" },
      {},
      [],
      null,
      "text",
    ];
    for (const body of samples) expect(isOfrepRequest(body), JSON.stringify(body)).toBe(ofrepRequestSchema.safeParse(body).success);
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ context: fc.jsonValue() })), (body) => {
        expect(isOfrepRequest(body)).toBe(ofrepRequestSchema.safeParse(body).success);
      }),
    );
  });
});

describe("ofrepAnswerJson", () => {
  const cases = conformance.cases.filter((c) => !c.silentForMs && c.expected.errorCode !== "TYPE_MISMATCH");

  it.each(cases.map((c) => [c.name, c] as const))("answers %s as ofrepAnswer does, also from its memo", async (_name, c) => {
    const { source } = memorySource({ [c.flag.key]: c.flag });
    const ruleset = await new RulesetCache(source, { now: caseClock(c) }).get("t1", "production");
    const key = caseFlagKey(c);
    const evaluate = () => ruleset.resolve(key, ofrepContext(structuredClone(c.context) as Record<string, unknown>) as EvaluationContext);
    const plain = ofrepAnswer(key, evaluate(), ruleset.flag(key));
    for (let i = 0; i < 2; i++) {
      const answer = ofrepAnswerJson(key, evaluate(), ruleset.flag(key));
      expect(answer.status).toBe(plain.status);
      expect(JSON.parse(answer.json)).toEqual(plain.body);
    }
  });

  it("serializes a changed flag afresh: its version and answer move with it", async () => {
    const { state, source } = memorySource({ f: boolFlag("f", { version: 1 }) });
    const cache = new RulesetCache(source);
    const first = await cache.get("t1", "production");
    expect(JSON.parse(ofrepAnswerJson("f", first.resolve("f", {}), first.flag("f")).json)).toMatchObject({ value: true, metadata: { version: 1 } });

    state.version = 2;
    state.flags = { f: boolFlag("f", { version: 2, enabled: false }) };
    const next = await cache.get("t1", "production");
    expect(JSON.parse(ofrepAnswerJson("f", next.resolve("f", {}), next.flag("f")).json)).toMatchObject({
      value: false,
      reason: "DISABLED",
      metadata: { version: 2 },
    });
  });

  it("never answers one flag with another's body, even for the same result object", () => {
    const shared = Object.freeze({ value: true, variant: "on", reason: "STATIC" as const });
    expect(JSON.parse(ofrepAnswerJson("a", shared, boolFlag("a")).json).key).toBe("a");
    expect(JSON.parse(ofrepAnswerJson("b", shared, boolFlag("b")).json).key).toBe("b");
  });
});

describe("RulesetCache with a version known in memory", () => {
  it("hands out the ruleset itself, no promise, while it is current; a promise while it catches up", async () => {
    const { state, source } = memorySource({ f: boolFlag("f") });
    const cache = new RulesetCache(source);
    const loading = cache.get("t1", "production");
    expect(loading).toBeInstanceOf(Promise);
    const ruleset = await loading;
    expect(cache.get("t1", "production")).toBe(ruleset);

    state.version = 2;
    state.flags = { f: boolFlag("f", { version: 2, enabled: false }) };
    const catchingUp = cache.get("t1", "production");
    expect(catchingUp).toBeInstanceOf(Promise);
    expect((await catchingUp).resolve("f", {}).reason).toBe("DISABLED");
    expect(state.reads).toBe(2);
  });
});
