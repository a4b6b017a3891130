/**
 * CI's mutation run: StrykerJS on the lines a change touched in the modules that
 * stryker.config.mjs lists, and nothing else, so that it fits in CI's time.
 *
 *   node test/mutation/changed-lines.mjs [base] [--list]
 *
 * `base` defaults to HEAD^1 (on main, the main before a merge); `--list` prints the
 * ranges and runs nothing.
 *
 * Prints the surviving mutants of those lines. It reports and never fails the build
 * (see docs/testing.md, "Mutation testing", for why); a module's score is what
 * `npm run mutation` measures.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { MODULES } from "../../stryker.config.mjs";

const args = process.argv.slice(2);
const list = args.includes("--list");
const base = args.find((a) => !a.startsWith("--")) ?? "HEAD^1";
const git = (...args) => execFileSync("git", args, { encoding: "utf8" });

try {
  git("rev-parse", "--verify", "--quiet", `${base}^{commit}`);
} catch {
  console.log(`mutation: no commit ${base} to compare with; nothing to mutate.`);
  process.exit(0);
}

/** Each mutated file with the lines the config mutates in it (null: the whole file). */
function configured(path) {
  const ranges = [];
  let whole = false;
  for (const { mutate } of Object.values(MODULES)) {
    for (const pattern of mutate) {
      const [file, range] = pattern.split(/:(?=\d)/);
      const root = file.replace(/\*.*$/, "");
      if (!(file === path || (file.includes("*") && path.startsWith(root) && path.endsWith(".ts")))) continue;
      if (!range) whole = true;
      else {
        const [from, to] = range.split("-").map(Number);
        ranges.push([from, to]);
      }
    }
  }
  return whole ? null : ranges.length > 0 ? ranges : undefined;
}

const roots = [...new Set(Object.values(MODULES).flatMap((m) => m.mutate.map((p) => p.split(/:(?=\d)/)[0].replace(/\*.*$/, ""))))];
const diff = git("diff", "--unified=0", "--no-color", base, "HEAD", "--", ...roots);
const wanted = [];
let file;
for (const line of diff.split("\n")) {
  if (line.startsWith("+++ ")) file = line.startsWith("+++ b/") ? line.slice(6) : undefined;
  const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(line);
  if (!hunk || !file) continue;
  const from = Number(hunk[1]);
  const count = hunk[2] === undefined ? 1 : Number(hunk[2]);
  if (count === 0) continue; // lines removed only
  const to = from + count - 1;
  const limits = configured(file);
  if (limits === undefined) continue;
  for (const [lo, hi] of limits ?? [[from, to]]) {
    const a = Math.max(lo, from);
    const b = Math.min(hi, to);
    if (a <= b) wanted.push(`${file}:${a}-${b}`);
  }
}

if (wanted.length === 0) {
  console.log(`mutation: no line changed since ${base} in the mutation-tested modules.`);
  process.exit(0);
}
console.log(`mutation: ${wanted.length} changed range(s) since ${base}: ${wanted.join(", ")}`);
if (list) process.exit(0);
const run = spawnSync(
  "npx",
  ["stryker", "run", "--mutate", wanted.join(","), "--incrementalFile", "reports/mutation/ci.incremental.json", "--reporters", "clear-text,html"],
  { stdio: "inherit" },
);
if (run.status !== 0) console.log(`mutation: StrykerJS ended with status ${run.status ?? run.signal}; the report above is all there is.`);
