import { fileURLToPath } from "node:url";
import { defineConfig, type ViteUserConfig } from "vitest/config";
import rootConfig from "../../vitest.config.js";

// The root config's projects collect test/ and sdk/test/; this benchmark's checks live beside it.
// Only the root's module aliases (@killswitch/sdk → sdk/src) are shared.
export default defineConfig({
  resolve: (rootConfig as ViteUserConfig).resolve,
  test: {
    root: fileURLToPath(new URL("../..", import.meta.url)),
    include: ["bench/worker-propagation/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
