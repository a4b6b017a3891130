/**
 * The dependency rules of docs/architecture.md, checked by `npm run typecheck` (so by
 * `npm test`): hosts (src/node, src/worker) → src/http → src/core → sdk, never back;
 * the CLI (src/cli) → src/core → sdk, and nothing of the service imports the CLI.
 * test/boundaries.test.ts shows each rule failing on a file that breaks it.
 * @type {import("dependency-cruiser").IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: "sdk-imports-no-service",
      comment: "The SDK ships alone: it imports nothing from the service (src/).",
      severity: "error",
      from: { path: "^sdk/src/" },
      to: { path: "^src/" },
    },
    {
      name: "core-imports-no-host-or-http",
      comment: "The core runs on every host: it imports no host and not the HTTP layer above it.",
      severity: "error",
      from: { path: "^src/core/" },
      to: { path: "^src/(node|worker|http)/" },
    },
    {
      name: "core-imports-no-node-module",
      comment: "The core uses web-standard globals only: no Node built-in, as node:fs or as fs.",
      severity: "error",
      from: { path: "^src/core/" },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "core-imports-no-workers-module",
      comment: "The core uses web-standard globals only: no cloudflare:* module.",
      severity: "error",
      from: { path: "^src/core/" },
      to: { path: "^cloudflare:" },
    },
    {
      name: "http-imports-no-host",
      comment: "The app is shared by both hosts; a host plugs in through the app's options.",
      severity: "error",
      from: { path: "^src/http/" },
      to: { path: "^src/(node|worker)/" },
    },
    {
      name: "node-host-imports-no-worker-host",
      comment: "The hosts share code only through src/http and src/core.",
      severity: "error",
      from: { path: "^src/node/" },
      to: { path: "^src/worker/" },
    },
    {
      name: "worker-host-imports-no-node-host",
      comment: "The hosts share code only through src/http and src/core.",
      severity: "error",
      from: { path: "^src/worker/" },
      to: { path: "^src/node/" },
    },
    {
      name: "cli-imports-no-host-or-http",
      comment: "The CLI is a client of the HTTP API: it may share the core's pure helpers and types, never run a host or the app.",
      severity: "error",
      from: { path: "^src/cli/" },
      to: { path: "^src/(node|worker|http)/" },
    },
    {
      name: "service-imports-no-cli",
      comment: "The service runs without the CLI.",
      severity: "error",
      from: { path: "^src/(core|http|node|worker)/" },
      to: { path: "^src/cli/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // The SDK is imported as `@killswitch/sdk`: the paths of tsconfig.json resolve it to sdk/src.
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
    },
  },
};
