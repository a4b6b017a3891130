// Types of build.mjs, for the tests that import it.
import type { BuildOptions } from "esbuild";

/** The core's size target, minified + gzip (bench/README.md, "SDK bundle size"). */
export declare const TARGET_BYTES: number;
/** What `--check` and the size test enforce: the target, or a regression guard while it is not met. */
export declare const BUDGET_BYTES: number;
/** Minified and gzip (level 9) sizes of a built file in dist/. */
export declare function sizeOf(file: string): { minified: number; gzip: number };
/** The options of every SDK build. */
export declare const buildOptions: BuildOptions;
/** Entry name → source file. */
export declare const entries: Record<"index" | "node" | "openfeature" | "explain" | "validate", string>;
/** Builds dist/; answers the core's minified and gzipped sizes and its static imports. */
export declare function buildSdk(): Promise<{ minified: number; gzip: number; imports: string[] }>;
