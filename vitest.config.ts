import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const sdk = fileURLToPath(new URL("./sdk/src/", import.meta.url));

export default defineConfig({
  resolve: {
    // The server imports the SDK's evaluator and protocol from source: one implementation.
    alias: [
      { find: /^@killswitch\/sdk$/, replacement: `${sdk}index.ts` },
      { find: /^@killswitch\/sdk\/(.*)$/, replacement: `${sdk}$1` },
    ],
  },
  test: {
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Every server log a file captured: no key's secret, one line per request (test/support/log-audit.ts).
    setupFiles: ["test/support/log-audit.setup.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "node",
          include: ["test/**/*.test.ts", "sdk/test/**/*.test.ts"],
          // Finds a Chromium for test/browser once per run (the system's, else the npm package's).
          globalSetup: ["test/browser/support/chromium-setup.ts"],
        },
      },
      {
        // The same HTTP contract suite against the Worker host under `wrangler dev`
        // (test/support/worker-target.ts): one wrangler per test file.
        extends: true,
        test: {
          name: "contract-worker",
          include: ["test/contract/**/*.test.ts"],
          env: { KILLSWITCH_CONTRACT_TARGET: "worker" },
          // workerd answers slower than the in-process Node host, and `sql`/`restart` restart wrangler.
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
