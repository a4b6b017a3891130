/** The OFREP benchmark's section of bench/README.md. */
import { provenanceLines, type Provenance } from "../eval/machine.js";
import { median } from "../eval/measure.js";
import type { LoadResult, LoadSettings } from "./load.js";
import { OFREP_PATH } from "./ofrep-requests.js";

export const HEADING = "## OFREP over HTTP";
export const TARGET_SHARE = 0.5;

export interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  results: LoadResult[];
}

export interface OfrepReport extends Provenance {
  settings: LoadSettings;
  warmup: number;
  rounds: number;
  bodies: number;
  targets: Target[];
  /** Why the product was not measured, when it was not. */
  productNote: string | undefined;
  /** os.loadavg()[0] before and after the timed runs: other work on the machine shows here. */
  load: { before: number; after: number };
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

export function renderOfrepSection(r: OfrepReport): string {
  const lines: string[] = [HEADING, ""];
  lines.push(
    `Single-flag OFREP evaluation, \`POST ${OFREP_PATH}\` with an sdk key, against a bare Hono handler ` +
      "for the same route on the same @hono/node-server setup (a constant OFREP answer: no body parsing, " +
      "authentication or evaluation). Code: `bench/ofrep/`.",
    "",
    ...provenanceLines(r),
    `- Load: autocannon on loopback, ${r.settings.connections} connections, no pipelining, ` +
      `${r.settings.duration} s per run after a ${r.warmup} s warm-up, ${r.rounds} round(s) in alternating order ` +
      `(bare, product, product, bare, …); each server in its own process, autocannon in the parent. ` +
      `Bodies cycle through ${r.bodies} contexts of the evaluation fixture; every answer was checked ` +
      "against the reference before timing. Figures are medians over the rounds.",
    `- Load average (1 min) before / after the timed runs: ${r.load.before.toFixed(2)} / ${r.load.after.toFixed(2)}.`,
    "",
    "| server | requests/s | p50 (ms) | p99 (ms) | requests | errors | non-2xx |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  );
  for (const t of r.targets) {
    const rs = t.results;
    lines.push(
      `| ${t.name} | ${int(median(rs.map((x) => x.rps)))} | ${median(rs.map((x) => x.p50))} | ${median(rs.map((x) => x.p99))} | ` +
        `${int(sum(rs.map((x) => x.total)))} | ${sum(rs.map((x) => x.errors))} | ${sum(rs.map((x) => x.non2xx))} |`,
    );
  }
  lines.push("");
  const [bare, product] = r.targets;
  if (bare && product) {
    const share = median(product.results.map((x) => x.rps)) / median(bare.results.map((x) => x.rps));
    lines.push(
      `**Target: ≥ ${TARGET_SHARE * 100} % of the bare handler's requests/s.** ` +
        `${product.name}: ${(share * 100).toFixed(0)} % — ${share >= TARGET_SHARE ? "met" : "NOT met"}.`,
    );
  } else {
    lines.push(`**Target: ≥ ${TARGET_SHARE * 100} % of the bare handler's requests/s.** Not judged: the product server was ${r.productNote ?? "not measured"}.`);
  }
  return lines.join("\n");
}
