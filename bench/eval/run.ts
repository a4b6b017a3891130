/**
 * Local evaluation throughput: Killswitch's evaluator (and its client API, what
 * applications call) against Unleash, LaunchDarkly, flagd and GrowthBook, in one
 * process, on the same contexts and the same rule. Every SDK must agree with the
 * reference on every context.
 *
 *   npx tsx --expose-gc bench/eval/run.ts [--contexts 10000] [--seed 24301]
 *     [--rounds 15] [--round-ms 200] [--warmup-ms 1500] [--only flagd,unleash]
 *     [--check] [--readme]
 *
 * --only keeps Killswitch and the named peers (to look at one pairing alone);
 * --check stops after the agreement check (exit code 1 on any mismatch);
 * --readme writes the results into bench/README.md's own section.
 */
import os from "node:os";
import { parseArgs } from "node:util";
import { checkAgreement, type Agreement } from "./agreement.js";
import { DEFAULT_SEED, generateContexts, referenceEnabled } from "./fixture.js";
import { provenance } from "./machine.js";
import { calibrate, collectGarbage, runRound, type Prepared } from "./measure.js";
import { positiveInt } from "./positive-int.js";
import { publishSection } from "./readme-section.js";
import { renderEvalSection } from "./report.js";
import type { Subject } from "./subject.js";
import { createFlagdSubject } from "./subjects/flagd.js";
import { createGrowthBookSubject } from "./subjects/growthbook.js";
import { createKillswitchSubject } from "./subjects/killswitch.js";
import { createKillswitchClientSubject } from "./subjects/killswitch-client.js";
import { createLaunchDarklySubject } from "./subjects/launchdarkly.js";
import { createUnleashSubject } from "./subjects/unleash.js";

const { values: args } = parseArgs({
  options: {
    contexts: { type: "string", default: "10000" },
    seed: { type: "string", default: String(DEFAULT_SEED) },
    rounds: { type: "string", default: "15" },
    "round-ms": { type: "string", default: "200" },
    "warmup-ms": { type: "string", default: "1500" },
    only: { type: "string" },
    check: { type: "boolean", default: false },
    readme: { type: "boolean", default: false },
  },
});

const count = positiveInt("contexts", args.contexts);
const seed = positiveInt("seed", args.seed);
const rounds = positiveInt("rounds", args.rounds);
const roundMs = positiveInt("round-ms", args["round-ms"]);
const warmupMs = positiveInt("warmup-ms", args["warmup-ms"]);

const contexts = generateContexts(count, seed);
const expected = contexts.map(referenceEnabled);
const expectedOn = expected.filter(Boolean).length;

const peers: Array<[string, () => Subject | Promise<Subject>]> = [
  ["unleash", createUnleashSubject as () => Promise<Subject>],
  ["launchdarkly", createLaunchDarklySubject as () => Promise<Subject>],
  ["flagd", createFlagdSubject as () => Subject],
  ["growthbook", createGrowthBookSubject as () => Subject],
];
const only = args.only?.toLowerCase().split(",").map((name) => name.trim());
const unknown = only?.filter((name) => !peers.some(([id]) => id === name));
if (unknown?.length) throw new Error(`--only takes ${peers.map(([id]) => id).join(", ")}; got ${unknown.join(", ")}`);

const ours = createKillswitchSubject() as Subject;
// The same evaluator behind the client API: reported beside the peers, not counted as one.
const client = (await createKillswitchClientSubject()) as Subject;
const subjects: Subject[] = [ours, client];
for (const [id, create] of peers) if (only === undefined || only.includes(id)) subjects.push(await create());
// Checked for agreement only: shows why the measured LaunchDarkly rule has a guard.
const checkedOnly: Subject[] = [await createLaunchDarklySubject({ literal: true })];

const agreements: Agreement[] = [];
for (const subject of [...subjects, ...checkedOnly]) {
  const agreement = await checkAgreement(subject, contexts, expected);
  agreements.push(agreement);
  console.error(`agreement ${subject.name}: ${agreement.mismatches} mismatches of ${count}`);
  for (const e of agreement.examples) {
    console.error(`  ${JSON.stringify(e.context)} expected ${e.expected} got ${e.got}`);
  }
}
const disagreeing = new Set(agreements.filter((a) => a.mismatches > 0).map((a) => a.name));
const timedDisagree = subjects.filter((s) => disagreeing.has(s.name));

if (args.check) {
  await Promise.all([...subjects, ...checkedOnly].map((s) => s.close()));
  process.exit(timedDisagree.length > 0 ? 1 : 0);
}

if ((globalThis as { gc?: unknown }).gc === undefined) {
  console.error("note: run with --expose-gc so that garbage is collected between SDKs");
}

// A disagreeing SDK is not timed: its speed would be for a different rule.
const measured: Prepared[] = subjects
  .filter((s) => !disagreeing.has(s.name))
  .map((subject) => ({ subject, contexts: contexts.map((c) => subject.adapt(c)), expectedOn, passes: 0, rates: [] }));

for (const p of measured) {
  collectGarbage();
  await calibrate(p, warmupMs, roundMs);
  console.error(`warmed up ${p.subject.name}: ${p.passes} passes per round`);
}
const loadBefore = os.loadavg()[0]!;
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < measured.length; i++) {
    const p = measured[(round + i) % measured.length]!;
    collectGarbage();
    await runRound(p);
  }
  console.error(`round ${round + 1}/${rounds} done`);
}

const section = renderEvalSection({
  ...provenance("bench/eval/run.ts"),
  seed,
  contexts,
  expectedOn,
  rounds,
  roundMs,
  ours: ours.name,
  alsoOurs: [client.name],
  subjects,
  measured,
  agreements,
  load: { before: loadBefore, after: os.loadavg()[0]! },
});
publishSection(section, args.readme);

await Promise.all([...subjects, ...checkedOnly].map((s) => s.close()));
process.exit(timedDisagree.length > 0 ? 1 : 0);
