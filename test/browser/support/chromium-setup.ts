/**
 * Vitest global setup: finds a Chromium once per run, before the test files start (so two
 * files never inflate the npm build at the same time), and hands it to them as
 * `inject("chromium")`. Without one, it prints one line saying how to get one, and the
 * browser suites skip.
 */
import type { TestProject } from "vitest/node";
import { findChromium, type FoundChromium, type MissingChromium } from "./chromium.js";

declare module "vitest" {
  export interface ProvidedContext {
    chromium: FoundChromium | MissingChromium;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const found = await findChromium();
  if ("missing" in found) process.stderr.write(`\n*** The browser suites (test/browser) are SKIPPED: ${found.missing}\n\n`);
  project.provide("chromium", found);
}
