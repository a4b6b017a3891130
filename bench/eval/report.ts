/** The evaluation benchmark's section of bench/README.md. */
import type { Agreement } from "./agreement.js";
import type { BenchContext } from "./fixture.js";
import { provenanceLines, type Provenance } from "./machine.js";
import { median, type Prepared } from "./measure.js";
import type { Subject } from "./subject.js";

export const HEADING = "## Evaluation against peer SDKs";
export const TARGET_RATIO = 5;

export interface EvalReport extends Provenance {
  seed: number;
  contexts: BenchContext[];
  expectedOn: number;
  rounds: number;
  roundMs: number;
  ours: string;
  /** Other Killswitch subjects (the client API): in the table, not counted as peers. */
  alsoOurs?: string[];
  subjects: Subject[];
  measured: Prepared[];
  agreements: Agreement[];
  /** os.loadavg()[0] before and after the timed rounds: other work on the machine shows here. */
  load: { before: number; after: number };
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const fixed = (n: number, digits: number) => n.toFixed(digits);

function population(contexts: BenchContext[], expectedOn: number): string {
  let missing = 0;
  let dual = 0;
  let dualUs = 0;
  let noRegion = 0;
  let noEmployer = 0;
  for (const c of contexts) {
    if (c.nationality === undefined) missing++;
    else if (Array.isArray(c.nationality)) {
      dual++;
      if (c.nationality.includes("US")) dualUs++;
    }
    if (c.region === undefined) noRegion++;
    if (c.employer === undefined) noEmployer++;
  }
  return (
    `${int(contexts.length)} contexts: ${int(missing)} without nationality, ${int(dual)} dual nationals ` +
    `(${int(dualUs)} of them US), ${int(noRegion)} without region, ${int(noEmployer)} without employer; ` +
    `the reference serves on to ${int(expectedOn)} and off to ${int(contexts.length - expectedOn)}.`
  );
}

export function renderEvalSection(r: EvalReport): string {
  const ours = r.measured.find((p) => p.subject.name === r.ours);
  const oursRate = ours ? median(ours.rates) : Number.NaN;
  const peers = r.measured.filter((p) => p !== ours && !r.alsoOurs?.includes(p.subject.name));
  const fastestPeer = peers.reduce<Prepared | undefined>(
    (best, p) => (best === undefined || median(p.rates) > median(best.rates) ? p : best),
    undefined,
  );
  const agreementOf = (name: string) => r.agreements.find((a) => a.name === name);
  // Rates of one round are measured seconds apart, so their ratio cancels most of the
  // machine's drift; the median of those ratios is the robust figure.
  const pairedRatio = (p: Prepared) => (ours ? median(p.rates.map((rate, i) => ours.rates[i]! / rate)) : Number.NaN);
  const conservative = (p: Prepared) => Math.min(oursRate / median(p.rates), pairedRatio(p));

  const lines: string[] = [HEADING, ""];
  lines.push(
    "Local evaluation throughput of `model.fable-5` (off when `nationality notIn [US]`, off when " +
      "`region in [CU, IR, KP, SY, RU]`, off when `employer in [acme-defense]`, else on), every SDK in " +
      "one process on the same generated contexts. Code: `bench/eval/` (fixture: `bench/eval/fixture.ts`).",
    "",
    ...provenanceLines(r),
    `- Contexts: seed \`0x${r.seed.toString(16)}\`; ${population(r.contexts, r.expectedOn)}`,
    `- Method: each SDK warms up, then ${r.rounds} rounds (SDK order rotated each round, garbage collected ` +
      "between SDKs when run with `--expose-gc`), each round a calibrated number of passes over all contexts " +
      `(about ${r.roundMs} ms); evaluations/s is the median of the rounds. Every pass's count of \`on\` answers is ` +
      "checked against the reference. The ratio is given two ways, the ratio of the medians and the median " +
      "of the per-round ratios; the target is judged on the smaller.",
    `- Load average (1 min) before / after the timed rounds: ${r.load.before.toFixed(2)} / ${r.load.after.toFixed(2)}.`,
    "",
    `| SDK | package | evaluations/s (median) | min – max of rounds | ns / evaluation | ${r.ours} ÷ SDK (of medians) | ${r.ours} ÷ SDK (median per round) | mismatches vs reference |`,
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  );
  for (const s of r.subjects) {
    const p = r.measured.find((m) => m.subject === s);
    const a = agreementOf(s.name);
    const mism = a ? `${a.mismatches} / ${int(r.contexts.length)}` : "not checked";
    if (!p) {
      lines.push(`| ${s.name} | ${s.pkg} | not timed (disagrees) | | | | | ${mism} |`);
      continue;
    }
    const rate = median(p.rates);
    const ratio = p === ours ? "1.0×" : `${fixed(oursRate / rate, 1)}×`;
    const paired = p === ours ? "1.0×" : `${fixed(pairedRatio(p), 1)}×`;
    lines.push(
      `| ${s.name} | ${s.pkg} | ${int(rate)} | ${int(Math.min(...p.rates))} – ${int(Math.max(...p.rates))} | ` +
        `${fixed(1e9 / rate, 0)} | ${ratio} | ${paired} | ${mism} |`,
    );
  }
  lines.push("");

  if (ours && fastestPeer) {
    const ratio = conservative(fastestPeer);
    lines.push(
      `**Target: ${r.ours} ≥ ${TARGET_RATIO}× the fastest peer.** Fastest peer: ${fastestPeer.subject.name}; ` +
        `ratio ${fixed(ratio, 1)}× — ${ratio >= TARGET_RATIO ? "met" : "NOT met"}.`,
      "",
    );
    for (const p of r.measured.filter((m) => r.alsoOurs?.includes(m.subject.name))) {
      const theirs = median(fastestPeer.rates);
      const paired = median(p.rates.map((rate, i) => rate / fastestPeer.rates[i]!));
      const own = Math.min(median(p.rates) / theirs, paired);
      lines.push(`The same for ${p.subject.name}: ${fixed(own, 1)}× ${fastestPeer.subject.name}, judged the same way.`, "");
    }
  }

  const checkedOnly = r.agreements.filter((a) => !r.subjects.some((s) => s.name === a.name));
  lines.push("Agreement with the reference function (every SDK, every context):", "");
  for (const a of r.agreements) {
    const note = checkedOnly.includes(a) ? " (checked, not timed)" : "";
    lines.push(`- ${a.name}${note}: ${a.mismatches} mismatches of ${int(r.contexts.length)}.`);
    for (const e of a.examples.slice(0, 3)) {
      lines.push(`  - \`${JSON.stringify(e.context)}\`: expected ${e.expected}, got ${e.got}`);
    }
  }
  lines.push("", "How each SDK holds the rule, and what its contexts look like:", "");
  for (const s of r.subjects) {
    lines.push(`- **${s.name}** (${s.pkg}): ${s.encoding}. Context adaptation: ${s.adaptation}.`);
  }
  lines.push(
    "",
    "Contexts are converted to each SDK's native shape once, before timing. LaunchDarkly's `variation()` " +
      "returns a promise (its only evaluation API), so its loop awaits each call; the others are synchronous.",
  );
  return lines.join("\n");
}
