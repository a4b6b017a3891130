// Measures the SDK bundle: `node bench/sdk-size/run.mjs`.
// Builds sdk/dist with the SDK's own build, then reports minified + gzip sizes of
// the core entry (everything `@killswitch/sdk` exports), of what an application
// that imports only `createClient` ships after tree shaking, and of the parts.
// Exits 1 when the core is over budget or imports anything (zero runtime deps).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { BUDGET_BYTES, buildOptions, buildSdk } from "../../sdk/build.mjs";

const src = fileURLToPath(new URL("../../sdk/src/", import.meta.url));
const gzip = (code) => gzipSync(code, { level: 9 }).length;

/** Bundles `contents` (an entry importing from sdk/src) the way the SDK is built. */
const measure = async (contents) => {
  const out = await build({ ...buildOptions, stdin: { contents, resolveDir: src, loader: "ts" }, write: false, logLevel: "error" });
  const code = out.outputFiles[0].contents;
  return { minified: code.length, gzip: gzip(code) };
};

const core = await buildSdk();
const openfeature = readFileSync(new URL("../../sdk/dist/openfeature.js", import.meta.url));
const rows = [
  ["core entry `dist/index.js` (all exports)", core],
  ["`import { createClient }` only, tree-shaken", await measure('export { createClient } from "./index.js";')],
  ["evaluator alone (`Ruleset`)", await measure('export { Ruleset } from "./ruleset.js";')],
  ["OpenFeature provider `dist/openfeature.js` (imports the core)", { minified: openfeature.length, gzip: gzip(openfeature) }],
];

const ok = core.gzip <= BUDGET_BYTES && core.imports.length === 0;
const { version: esbuildVersion } = await import("esbuild");
console.log(`- Date: ${new Date().toISOString()}; Node ${process.version}; esbuild ${esbuildVersion}; gzip level 9`);
console.log(`- Command: \`node bench/sdk-size/run.mjs\` (builds with \`sdk/build.mjs\`: ESM, minified, platform neutral, \`ws\` and \`node:*\` loaded at run time)\n`);
console.log(`| bundle | minified | minified + gzip |\n| --- | ---: | ---: |`);
for (const [name, s] of rows) console.log(`| ${name} | ${s.minified} B | ${s.gzip} B |`);
console.log(
  `\n**Target: core ≤ ${BUDGET_BYTES} B minified + gzip, zero runtime dependencies.** ` +
    `Core: ${core.gzip} B (${((core.gzip / BUDGET_BYTES) * 100).toFixed(0)} % of the budget); ` +
    `static imports: ${core.imports.length ? core.imports.join(", ") : "none"} — ${ok ? "met" : "not met"}.`,
);
process.exitCode = ok ? 0 : 1;
