// Builds sdk/src into sdk/dist: two ESM entries, minified, platform-neutral.
// `index.js` is the core (client + evaluator, zero imports); `openfeature.js`
// imports the core from `./index.js` rather than bundling a second copy.
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
  // `_`-prefixed members are private (LaunchDarkly js-core's convention): short names are safe.
  mangleProps: /^_/,
  // Node-only modules are imported at run time by the code paths that run on Node.
  external: ["ws", "node:*", "@openfeature/server-sdk"],
};

// openfeature.ts imports ./client.js; in dist that is the core entry.
const shareCore = {
  name: "share-core",
  setup(b) {
    b.onResolve({ filter: /^\.\/client\.js$/ }, (args) =>
      args.importer.endsWith("openfeature.ts") ? { path: "./index.js", external: true } : undefined,
    );
  },
};

/** Builds dist/; answers the core's minified and gzipped sizes and its imports. */
export async function buildSdk() {
  const result = await build({
    ...buildOptions,
    entryPoints: { index: here("./src/index.ts"), openfeature: here("./src/openfeature.ts") },
    outdir: here("./dist"),
    plugins: [shareCore],
    metafile: true,
    logLevel: "warning",
  });
  const core = readFileSync(here("./dist/index.js"));
  const imports = Object.entries(result.metafile.outputs).find(([k]) => k.endsWith("index.js"))?.[1].imports ?? [];
  return { minified: core.length, gzip: gzipSync(core, { level: 9 }).length, imports: imports.map((i) => i.path) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const size = await buildSdk();
  const ok = size.gzip <= BUDGET_BYTES;
  console.log(`dist/index.js: ${size.minified} B minified, ${size.gzip} B gzip (budget ${BUDGET_BYTES} B: ${ok ? "ok" : "OVER"}); imports: ${size.imports.join(", ") || "none"}`);
  if (process.argv.includes("--check") && (!ok || size.imports.length > 0)) process.exit(1);
}
