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
    include: ["test/**/*.test.ts", "sdk/test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
