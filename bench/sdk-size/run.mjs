// Measures the SDK bundle: `node bench/sdk-size/run.mjs` prints the report;
// `node bench/sdk-size/run.mjs --readme` also writes it into bench/README.md.
// Builds sdk/dist with the SDK's own build, then reports minified + gzip sizes of
// the core entry (everything `@killswitch/sdk` exports), of what an application
// that imports only `createClient` ships after tree shaking, of the parts, and of
// the optional entries, and the Node entry. Prints the gap to the 6 KiB target
// while it is not met; exits 1 when the core is over its enforced budget (the target,
// or the regression guard while the target is open) or imports anything.
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build, version as esbuildVersion } from "esbuild";
import terserPackage from "terser/package.json" with { type: "json" };
import { BUDGET_BYTES, TARGET_BYTES, buildOptions, buildSdk, compact, sizeOf } from "../../sdk/build.mjs";

const src = fileURLToPath(new URL("../../sdk/src/", import.meta.url));
const gzip = (code) => gzipSync(code, { level: 9 }).length;

/** Bundles `contents` (an entry importing from sdk/src) the way the SDK is built. */
const measure = async (contents) => {
  const out = await build({ ...buildOptions, stdin: { contents, resolveDir: src, loader: "ts" }, write: false, logLevel: "error" });
  const code = Buffer.from(await compact(out.outputFiles[0].contents));
  return { minified: code.length, gzip: gzip(code) };
};

const core = await buildSdk();
const evaluator = await measure('export { Ruleset } from "./ruleset.js";');
const app = await measure('export { createClient } from "./index.js";');
const rows = [
  ["core entry `dist/index.js` (all exports; browsers, Deno, Workers, bundlers)", core],
  ["Node entry `dist/node.js` (Node platform: `ws`, file cache; imports the core)", sizeOf("node.js")],
  ["`import { createClient }` only, tree-shaken", app],
  ["evaluator alone (`Ruleset`)", evaluator],
  ["OpenFeature provider `dist/openfeature.js` (imports the package)", sizeOf("openfeature.js")],
  ["`@killswitch/sdk/explain` `dist/explain.js` (service side)", sizeOf("explain.js")],
  ["`@killswitch/sdk/validate` `dist/validate.js` (service side, imports the core)", sizeOf("validate.js")],
];

const ok = core.gzip <= BUDGET_BYTES && core.imports.length === 0;
const met = core.gzip <= TARGET_BYTES && core.imports.length === 0;
const lines = [
  "## SDK bundle size",
  "",
  "Size of `@killswitch/sdk` as an application ships it. Code: `bench/sdk-size/run.mjs`; the same build as `npm run build -w @killswitch/sdk`.",
  "",
  `- Date: ${new Date().toISOString()}; Node ${process.version}; esbuild ${esbuildVersion}; terser ${terserPackage.version}; gzip level 9`,
  "- Command: `node bench/sdk-size/run.mjs` (builds with `sdk/build.mjs`: ESM, minified by esbuild then terser, platform neutral, `_` members mangled alike in every entry)",
  "",
  "| bundle | minified | minified + gzip |",
  "| --- | ---: | ---: |",
  ...rows.map(([name, s]) => `| ${name} | ${s.minified} B | ${s.gzip} B |`),
  "",
  `**Target: core ≤ ${TARGET_BYTES} B minified + gzip, zero runtime dependencies.** ` +
    `Core: ${core.gzip} B (${((core.gzip / TARGET_BYTES) * 100).toFixed(1)} % of the target); ` +
    `static imports: ${core.imports.length ? core.imports.join(", ") : "none"} — ` +
    (met ? "met." : `**NOT met: ${core.gzip - TARGET_BYTES} B over the target.**`),
  ...(BUDGET_BYTES > TARGET_BYTES
    ? ["", `The target is open: the size test and \`build.mjs --check\` enforce ${BUDGET_BYTES} B (the measured core rounded up to 64 B) as a regression guard until the core fits in ${TARGET_BYTES} B.`]
    : []),
  "",
  "The core has no import at all. Node-only code lives in the Node entry, which `package.json` selects with the " +
    "`node` export condition: it loads `ws` where Node (20) has no global WebSocket and keeps the cache in a file " +
    "(`node:fs`); browsers, Deno, Workers and bundlers get the universal core without it. The OpenFeature provider, " +
    "`explain` and `validate` are separate entries (the operator's explanation and config validation are used by the " +
    `service only). Of the core, the client (socket, reconnect, polling, staleness, cache, events) is about ` +
    `${app.gzip - evaluator.gzip} B, the difference between the tree-shaken \`createClient\` row and the evaluator row.`,
];
const section = lines.join("\n");
console.log(section);

if (process.argv.includes("--readme")) {
  // bench/README.md is shared: replace only this section (the eval benchmark's helper, in
  // TypeScript: loaded through tsx's API, so that plain `node` runs this script).
  const { tsImport } = await import("tsx/esm/api");
  const { replaceSection } = await tsImport("../eval/readme-section.ts", import.meta.url);
  replaceSection(section);
  console.error("bench/README.md updated");
}
process.exitCode = ok ? 0 : 1;
