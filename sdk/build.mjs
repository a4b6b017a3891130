// Builds sdk/src into sdk/dist: ESM entries, minified, platform-neutral.
// - `index.js` is the core (client + evaluator, zero imports): what applications ship.
// - `openfeature.js` (the OpenFeature provider) and `validate.js` (checkFlag) import
//   the core from `./index.js` rather than bundling a second copy.
// - `explain.js` (explainFlag, for the service and operator tools) bundles the few
//   evaluator modules it reads; it works on a Ruleset of the core because it is built
//   with the core's mangle cache, so the mangled `_` names are the same.
// Run `node build.mjs`; `node build.mjs --check` also fails over the size budget.
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

/** The core's budget, minified + gzip (DESIGN.md, "Targets"). */
export const BUDGET_BYTES = 6 * 1024;

/** The options of every SDK build (the size bench reuses them). */
export const buildOptions = {
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  minify: true,
  legalComments: "none",
  // `_`-prefixed members are private or internal (LaunchDarkly js-core's convention):
  // short names are safe. Nothing public and no wire or JSON field starts with `_`
  // (sdk/test/size.test.ts checks the public side).
  mangleProps: /^_/,
  // Node-only modules are imported at run time by the code paths that run on Node.
  external: ["ws", "node:*", "@openfeature/server-sdk"],
};

/** Entry points: the core and the optional entries (package.json "exports"). */
export const entries = {
  index: here("./src/index.ts"),
  openfeature: here("./src/openfeature.ts"),
  explain: here("./src/explain.ts"),
  validate: here("./src/validate.ts"),
};

// The client and the evaluator that an optional entry imports are, in dist, the core.
const shareCore = {
  name: "share-core",
  setup(b) {
    b.onResolve({ filter: /^\.\/(client|ruleset)\.js$/ }, (args) =>
      args.importer === entries.openfeature || args.importer === entries.validate ? { path: "./index.js", external: true } : undefined,
    );
  },
};

/** Builds dist/; answers the core's minified and gzipped sizes and its imports. */
export async function buildSdk() {
  const { index, ...optional } = entries;
  const common = { ...buildOptions, outdir: here("./dist"), metafile: true, logLevel: "warning" };
  const core = await build({ ...common, entryPoints: { index }, mangleCache: {} });
  // esbuild mangles each output on its own: the optional entries reuse the core's
  // names (its mangle cache), so that explain.js reads a core Ruleset's `_find`.
  await build({ ...common, entryPoints: optional, plugins: [shareCore], mangleCache: core.mangleCache });
  const code = readFileSync(here("./dist/index.js"));
  const imports = Object.values(core.metafile.outputs)[0]?.imports ?? [];
  return { minified: code.length, gzip: gzipSync(code, { level: 9 }).length, imports: imports.map((i) => i.path) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // `--budget=<bytes>` replaces the budget (the size test proves that --check fails).
  const budget = Number(process.argv.find((a) => a.startsWith("--budget="))?.slice(9) ?? BUDGET_BYTES);
  const size = await buildSdk();
  const ok = size.gzip <= budget && size.imports.length === 0;
  console.log(
    `dist/index.js: ${size.minified} B minified, ${size.gzip} B gzip (budget ${budget} B: ${size.gzip <= budget ? "ok" : "OVER"}); imports: ${size.imports.join(", ") || "none"}`,
  );
  if (process.argv.includes("--check") && !ok) process.exit(1);
}
