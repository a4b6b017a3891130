// Types of build.mjs, for the tests that import it.
import type { BuildOptions } from "esbuild";

/** The core's budget, minified + gzip (DESIGN.md, "Targets"). */
export declare const BUDGET_BYTES: number;
/** The options of every SDK build. */
export declare const buildOptions: BuildOptions;
/** Entry name → source file. */
export declare const entries: Record<"index" | "openfeature" | "explain" | "validate", string>;
/** Builds dist/; answers the core's minified and gzipped sizes and its static imports. */
export declare function buildSdk(): Promise<{ minified: number; gzip: number; imports: string[] }>;
