/**
 * Flip → applied on the Worker host under `wrangler dev` (workerd, local):
 * for each N, a fresh `wrangler dev` and tenant, N SDK connections from a
 * separate load-generator process, warm-up and measured kill/restore flips,
 * and the server's propagation receipts.
 *
 *   npx tsx bench/worker-propagation/run.ts [--ns 1000,100] [--paths proxy,direct] [--rounds 2]
 *     [--flips 20] [--warm 2] [--gap 500] [--rate 250] [--idle 2000] [--receipt-timeout 15000]
 *     [--attempts 3] [--no-pin] [--no-readme]
 *
 * `proxy` goes through the port `wrangler dev` prints (its proxy worker);
 * `direct` goes straight to the socket of the workerd that runs the Worker,
 * which shows what that proxy, absent on Cloudflare, adds. `--rounds`
 * repeats the whole list (interleaved, so that each N sees the machine's
 * noise alike). A run during which wrangler restarted the Worker (it
 * rebuilds on every source change) is discarded and repeated, up to
 * `--attempts` times. About 3 minutes with the defaults; loopback only.
 *
 * Stops itself after DEADLINE_MINUTES and kills everything it started.
 * Prints a markdown table, writes the full JSON to bench/results/
 * (git-ignored) and, unless --no-readme, its section of bench/README.md.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { measure, type MeasureResult, type Path } from "./measure.js";
import { hasTaskset } from "./processes.js";
import { HEADING, section, table } from "./report.js";
import { replaceSection } from "../eval/readme-section.js";

const DEADLINE_MINUTES = 8;
const DEADLINE_MS = DEADLINE_MINUTES * 60_000;

const argv = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
};
const positive = (name: string, fallback: number) => {
  const value = Number(arg(name, String(fallback)));
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} takes a number, got ${arg(name, "")}`);
  return value;
};

const ns = arg("ns", "1000,100").split(",").map(Number);
if (ns.some((n) => !Number.isSafeInteger(n) || n < 1)) throw new Error(`--ns takes positive integers, got ${arg("ns", "")}`);
const paths = arg("paths", "proxy,direct").split(",") as Path[];
if (paths.some((p) => p !== "proxy" && p !== "direct")) throw new Error(`--paths takes proxy and/or direct, got ${arg("paths", "")}`);
const rounds = positive("rounds", 2);
const attempts = Math.max(1, positive("attempts", 3));
const options = {
  flips: positive("flips", 20),
  warm: positive("warm", 2),
  gapMs: positive("gap", 500),
  rate: positive("rate", 250),
  idleMs: positive("idle", 2_000),
  receiptTimeoutMs: positive("receipt-timeout", 15_000),
  pin: !argv.includes("--no-pin") && availableParallelism() >= 2 && hasTaskset(),
};
const writeReadme = !argv.includes("--no-readme");
const log = (line: string) => console.error(`# ${line}`);

let stopCurrent: (() => Promise<void>) | null = null;
const abort = async (why: string, code: number) => {
  log(why);
  await stopCurrent?.().catch(() => {});
  process.exit(code);
};
const deadline = setTimeout(() => void abort(`deadline (${DEADLINE_MS / 60_000} min) reached`, 2), DEADLINE_MS);
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void abort(signal, 130));

const started = new Date();
const rootToken = randomBytes(32).toString("base64url");
const results: MeasureResult[] = [];
const discarded: MeasureResult[] = [];
for (let round = 1; round <= rounds; round++) {
  for (const n of ns) {
    for (const path of paths) {
      for (let attempt = 1; ; attempt++) {
        let result: MeasureResult;
        try {
          result = await measure({ n, path, rootToken, ...options, onStarted: (stop) => (stopCurrent = stop), log });
        } catch (error) {
          // Most often a source file caught mid-edit by another engineer: the bundle does not build.
          if (attempt === attempts) throw error;
          log(`N=${n} ${path}: failed, trying again in 10 s: ${String(error).split("\n").slice(0, 4).join(" ")}`);
          await sleep(10_000);
          continue;
        } finally {
          stopCurrent = null;
        }
        if (result.disturbed === null || attempt === attempts) {
          if (result.disturbed !== null) log(`N=${n} ${path}: kept although disturbed (${attempts} attempts): ${result.disturbed}`);
          results.push(result);
          break;
        }
        log(`N=${n} ${path}: discarded, measuring again: ${result.disturbed}`);
        discarded.push(result);
      }
    }
  }
}
clearTimeout(deadline);

const command = ["npx tsx bench/worker-propagation/run.ts", ...argv].join(" ");
const resultsDir = fileURLToPath(new URL("../results/", import.meta.url));
mkdirSync(resultsDir, { recursive: true });
const file = `${resultsDir}worker-propagation-${started.toISOString().replace(/[:.]/g, "-")}.json`;
writeFileSync(file, JSON.stringify({ command, date: started.toISOString(), options, results, discarded }, null, 2));

console.log(table(results));
if (writeReadme) {
  replaceSection(section({ command, date: started, options, results, discarded: discarded.length }));
  log(`wrote "${HEADING}" in bench/README.md`);
}
log(`full results: bench/results/${file.slice(resultsDir.length)}`);
