import { afterAll, describe, expect, it } from "vitest";
import { checkAgreement } from "./agreement.js";
import { generateContexts, referenceEnabled } from "./fixture.js";
import type { Subject } from "./subject.js";
import { createFlagdSubject } from "./subjects/flagd.js";
import { createGrowthBookSubject } from "./subjects/growthbook.js";
import { createKillswitchSubject } from "./subjects/killswitch.js";
import { createKillswitchClientSubject } from "./subjects/killswitch-client.js";
import { createLaunchDarklySubject } from "./subjects/launchdarkly.js";
import { createUnleashSubject } from "./subjects/unleash.js";

const contexts = generateContexts(10_000);
const expected = contexts.map(referenceEnabled);
const opened: Subject[] = [];
async function open(create: () => unknown): Promise<Subject> {
  // Each SDK has its own context type; checkAgreement only hands a subject contexts it adapted itself.
  const subject = (await create()) as Subject;
  opened.push(subject);
  return subject;
}
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

describe("every SDK in the benchmark answers like the reference on all 10,000 contexts", () => {
  it.each([
    ["Killswitch", () => createKillswitchSubject()],
    ["Killswitch client (`client.isEnabled`)", () => createKillswitchClientSubject()],
    ["Unleash", () => createUnleashSubject()],
    ["LaunchDarkly", () => createLaunchDarklySubject()],
    ["flagd", () => createFlagdSubject()],
    ["GrowthBook", () => createGrowthBookSubject()],
  ] as const)("%s", async (_name, create) => {
    const agreement = await checkAgreement(await open(create), contexts, expected);
    expect(agreement.examples).toEqual([]);
    expect(agreement.mismatches).toBe(0);
  });

  it("LaunchDarkly's literal negated rule lets unknown nationalities through, which is why the measured rule has a guard", async () => {
    const agreement = await checkAgreement(await open(() => createLaunchDarklySubject({ literal: true })), contexts, expected);
    expect(agreement.mismatches).toBe(contexts.filter((c) => c.nationality === undefined && referenceEnabled({ ...c, nationality: "US" })).length);
    expect(agreement.examples.every((e) => e.context.nationality === undefined && e.got && !e.expected)).toBe(true);
  });
});
