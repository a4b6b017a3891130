/**
 * The suite as StrykerJS runs it (stryker.config.mjs): the Node project only. The
 * Worker's copy of the contract suite runs the code inside `wrangler dev`, where a
 * mutant is never active, so it could only slow a run down.
 */
import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.js";

export default mergeConfig(
  { ...base, test: { ...base.test, projects: undefined } },
  // Instrumented code runs slower: room for it before a test counts as timed out.
  defineConfig({ test: { include: ["test/**/*.test.ts", "sdk/test/**/*.test.ts"], testTimeout: 60_000 } }),
);
