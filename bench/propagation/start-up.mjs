// What run.mjs and paired.mjs share before they measure: the --server mode, and the product's
// server bundled once with esbuild (so it runs on plain node like the floor, without a loader thread).
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { arg } from '../lib/machine.mjs';

export const here = fileURLToPath(new URL('.', import.meta.url));
export const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));

/** --server hub (default: server.ts) or real (real-server.ts); anything else exits. */
export function serverMode() {
  const mode = arg('server', 'hub');
  if (mode !== 'hub' && mode !== 'real') { console.error('--server is hub or real'); process.exit(1); }
  return mode;
}

/** Bundles the mode's server into bench/results/ and returns the bundle's path. */
export async function bundleServer(mode) {
  // Bundle next to the results so that `ws` and `zod` resolve from the repository's node_modules.
  mkdirSync(resultsDir, { recursive: true });
  // real: bench/results/ is two levels below the root, like src/node/, so database.ts's
  // `../../migrations` (relative to import.meta.url) still finds the migrations from the bundle.
  const outfile = `${resultsDir}${mode === 'real' ? 'propagation-real-server.mjs' : 'propagation-server.mjs'}`;
  await build({
    entryPoints: [`${here}${mode === 'real' ? 'real-server.ts' : 'server.ts'}`], outfile, bundle: true, platform: 'node', format: 'esm',
    target: 'node20', packages: 'external', tsconfig: `${here}../../tsconfig.json`, logLevel: 'warning',
  });
  return outfile;
}
