/** Killswitch's own evaluator, the one the SDK client and the server share. */
import { Ruleset } from "@killswitch/sdk";
import { FLAG, FLAG_KEY, type BenchContext } from "../fixture.js";
import { installedVersion } from "../installed-version.js";
import type { Subject } from "../subject.js";

export function createKillswitchSubject(): Subject<BenchContext> {
  const ruleset = new Ruleset();
  ruleset.load({ [FLAG_KEY]: FLAG }, {}, 1);
  return {
    name: "Killswitch",
    // The workspace link: this repository's sdk/, evaluated from source.
    pkg: installedVersion("@killswitch/sdk"),
    encoding: "the fixture's flag as is: notIn / in / in rules serving off, fallthrough on",
    adaptation: "none",
    adapt: (context) => context,
    evaluate: (context) => ruleset.evaluate(FLAG_KEY, context, false).value,
    runAll(contexts) {
      let on = 0;
      for (let i = 0; i < contexts.length; i++) if (ruleset.evaluate(FLAG_KEY, contexts[i]!, false).value) on++;
      return on;
    },
    close() {},
  };
}
