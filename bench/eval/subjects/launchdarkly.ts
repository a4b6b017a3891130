/**
 * LaunchDarkly (`@launchdarkly/node-server-sdk`) fed by its TestData source:
 * no streaming connection, no events, no diagnostics.
 */
import { basicLogger, init, integrations, type LDContext } from "@launchdarkly/node-server-sdk";
import { ALLOWED_NATIONALITY, BLOCKED_EMPLOYERS, BLOCKED_REGIONS, FLAG_KEY, type BenchContext } from "../fixture.js";
import { installedVersion } from "../installed-version.js";
import type { Subject } from "../subject.js";

/**
 * `literal`: the rule as an LaunchDarkly user would first write it, with
 * `nationality in [US]` negated. LaunchDarkly never matches a clause on a
 * missing attribute, negated or not, so that version lets unknown
 * nationalities through; the harness only checks it. The measured version
 * keeps the negated clause first and adds `nationality in [US] → true` before
 * a fallthrough of `false`, which gives the same answer on every context.
 */
export async function createLaunchDarklySubject(options: { literal?: boolean } = {}): Promise<Subject<LDContext>> {
  const literal = options.literal === true;
  const td = new integrations.TestData();
  let flag = td
    .flag(FLAG_KEY)
    .booleanFlag()
    .fallthroughVariation(literal)
    .ifNotMatch("user", "nationality", ALLOWED_NATIONALITY)
    .thenReturn(false)
    .ifMatch("user", "region", ...BLOCKED_REGIONS)
    .thenReturn(false)
    .ifMatch("user", "employer", ...BLOCKED_EMPLOYERS)
    .thenReturn(false);
  if (!literal) flag = flag.ifMatch("user", "nationality", ALLOWED_NATIONALITY).thenReturn(true);
  await td.update(flag);

  const client = init("sdk-bench-offline", {
    updateProcessor: td.getFactory(),
    sendEvents: false,
    diagnosticOptOut: true,
    logger: basicLogger({ level: "warn" }),
  });
  await client.waitForInitialization({ timeout: 5 });

  return {
    name: literal ? "LaunchDarkly (literal negate)" : "LaunchDarkly",
    pkg: installedVersion("@launchdarkly/node-server-sdk"),
    encoding: literal
      ? "rules: nationality in [US] negated → false; region in [...] → false; employer in [...] → false; fallthrough true"
      : "rules: nationality in [US] negated → false; region in [...] → false; employer in [...] → false; nationality in [US] → true; fallthrough false",
    adaptation: "`kind: \"user\"` added (arrays are native: `in` matches any element)",
    adapt: (context: BenchContext): LDContext => ({ kind: "user", ...context }),
    evaluate: async (context) => (await client.variation(FLAG_KEY, context, false)) === true,
    // variation() is asynchronous in every LaunchDarkly server SDK: awaited one by one, as a request handler would.
    async runAll(contexts) {
      let on = 0;
      for (let i = 0; i < contexts.length; i++) if ((await client.variation(FLAG_KEY, contexts[i]!, false)) === true) on++;
      return on;
    },
    close: () => client.close(),
  };
}
