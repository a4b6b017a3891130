// Measures the SDK bundle: `node bench/sdk-size/run.mjs` prints the report;
// `npx tsx bench/sdk-size/run.mjs --readme` also writes it into bench/README.md.
// Builds sdk/dist with the SDK's own build, then reports minified + gzip sizes of
// the core entry (everything `@killswitch/sdk` exports), of what an application
// that imports only `createClient` ships after tree shaking, of the parts, and of
// the optional entries. Exits 1 when the core is over budget or imports anything.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build, version as esbuildVersion } from "esbuild";
import { BUDGET_BYTES, buildOptions, buildSdk } from "../../sdk/build.mjs";

const src = fileURLToPath(new URL("../../sdk/src/", import.meta.url));
const gzip = (code) => gzipSync(code, { level: 9 }).length;

/** Bundles `contents` (an entry importing from sdk/src) the way the SDK is built. */
const measure = async (contents) => {
  const out = await build({ ...buildOptions, stdin: { contents, resolveDir: src, loader: "ts" }, write: false, logLevel: "error" });
  const code = out.outputFiles[0].contents;
  return { minified: code.length, gzip: gzip(code) };
};
const built = (file) => {
  const code = readFileSync(new URL(`../../sdk/dist/${file}`, import.meta.url));
  return { minified: code.length, gzip: gzip(code) };
};

const core = await buildSdk();
const evaluator = await measure('export { Ruleset } from "./ruleset.js";');
const app = await measure('export { createClient } from "./index.js";');
const rows = [
  ["core entry `dist/index.js` (all exports)", core],
  ["`import { createClient }` only, tree-shaken", app],
  ["evaluator alone (`Ruleset`)", evaluator],
  ["OpenFeature provider `dist/openfeature.js` (imports the core)", built("openfeature.js")],
  ["`@killswitch/sdk/explain` `dist/explain.js` (service side)", built("explain.js")],
  ["`@killswitch/sdk/validate` `dist/validate.js` (service side, imports the core)", built("validate.js")],
];

const ok = core.gzip <= BUDGET_BYTES && core.imports.length === 0;
const lines = [
  "## SDK bundle size",
  "",
  "Size of `@killswitch/sdk` as an application ships it. Code: `bench/sdk-size/run.mjs`; the same build as `npm run build -w @killswitch/sdk`.",
  "",
  `- Date: ${new Date().toISOString()}; Node ${process.version}; esbuild ${esbuildVersion}; gzip level 9`,
  "- Command: `node bench/sdk-size/run.mjs` (builds with `sdk/build.mjs`: ESM, minified, platform neutral, `_` members mangled, `ws` and `node:*` loaded at run time)",
  "",
  "| bundle | minified | minified + gzip |",
  "| --- | ---: | ---: |",
  ...rows.map(([name, s]) => `| ${name} | ${s.minified} B | ${s.gzip} B |`),
  "",
  `**Target: core ≤ ${BUDGET_BYTES} B minified + gzip, zero runtime dependencies.** ` +
    `Core: ${core.gzip} B (${((core.gzip / BUDGET_BYTES) * 100).toFixed(0)} % of the budget); ` +
    `static imports: ${core.imports.length ? core.imports.join(", ") : "none"} — ${ok ? "met" : "NOT met"}.`,
  "",
  "The core has no static import at all: `ws` (Node 20) and `node:fs/promises` (file cache) are imported at run time " +
    "through a variable, on Node only, so browser and Workers bundles never contain them. The OpenFeature provider, " +
    "`explain` and `validate` are separate entries (the operator's explanation and config validation are used by the " +
    `service only). Of the core, the client (socket, reconnect, polling, staleness, cache, events) is about ` +
    `${app.gzip - evaluator.gzip} B, the difference between the tree-shaken \`createClient\` row and the evaluator row.`,
];
const section = lines.join("\n");
console.log(section);

if (process.argv.includes("--readme")) {
  // bench/README.md is shared: replace only this section (the eval benchmark's helper, TypeScript: run under tsx).
  const { replaceSection } = await import("../eval/readme-section.ts");
  replaceSection(section);
  console.error("bench/README.md updated");
}
process.exitCode = ok ? 0 : 1;
