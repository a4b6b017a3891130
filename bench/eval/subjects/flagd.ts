/**
 * flagd's in-process evaluator (`@openfeature/flagd-core`), given a flagd flag
 * definition whose targeting is JSON logic (compiled by json-logic-engine, its
 * default and fastest mode).
 */
import type { EvaluationContext } from "@openfeature/core";
import { FlagdCore } from "@openfeature/flagd-core";
import { ALLOWED_NATIONALITY, BLOCKED_EMPLOYERS, BLOCKED_REGIONS, FLAG_KEY, type BenchContext } from "../fixture.js";
import { installedVersion } from "../installed-version.js";
import type { Subject } from "../subject.js";

/**
 * JSON logic's `in` tests one value against a list, so `["US", "FR"]` is not
 * `in ["US"]`, and `some` throws on a string. `merge` turns a string, an array
 * or a missing value alike into an array, so "some nationality is US" holds
 * for a US citizen, a US dual national, and never for an unknown nationality.
 */
const isCitizen = { some: [{ merge: [{ var: "nationality" }] }, { "===": [{ var: "" }, ALLOWED_NATIONALITY] }] };

export const FLAGD_CONFIG = {
  flags: {
    [FLAG_KEY]: {
      state: "ENABLED",
      variants: { on: true, off: false },
      defaultVariant: "on",
      targeting: {
        if: [
          { "!": isCitizen },
          "off",
          { in: [{ var: "region" }, [...BLOCKED_REGIONS]] },
          "off",
          { in: [{ var: "employer" }, [...BLOCKED_EMPLOYERS]] },
          "off",
          "on",
        ],
      },
    },
  },
};

export function createFlagdSubject(): Subject<EvaluationContext> {
  const core = new FlagdCore();
  core.setConfigurations(JSON.stringify(FLAGD_CONFIG));
  return {
    name: "flagd",
    pkg: installedVersion("@openfeature/flagd-core"),
    encoding: "targeting `if`: !(some(merge(nationality)) === US) → off; region in [...] → off; employer in [...] → off; else on",
    adaptation: "`key` passed as OpenFeature's `targetingKey`; arrays as they are (handled in the rule by `merge` + `some`)",
    adapt({ key, nationality, region, employer }: BenchContext): EvaluationContext {
      const context: EvaluationContext = { targetingKey: key };
      if (nationality !== undefined) context.nationality = nationality;
      if (region !== undefined) context.region = region;
      if (employer !== undefined) context.employer = employer;
      return context;
    },
    evaluate: (context) => core.resolveBooleanEvaluation(FLAG_KEY, false, context).value,
    runAll(contexts) {
      let on = 0;
      for (let i = 0; i < contexts.length; i++) if (core.resolveBooleanEvaluation(FLAG_KEY, false, contexts[i]).value) on++;
      return on;
    },
    close() {},
  };
}
