#!/usr/bin/env node
// The `killswitch` command: runs the TypeScript CLI (src/cli/) through tsx, so
// nothing is built before use. tsx compiles each file once and caches it.
import { fileURLToPath } from "node:url";

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 20 || (major === 20 && minor < 6)) {
  process.stderr.write(`killswitch needs Node.js 20.6 or later; this is ${process.version}\n`);
  process.exit(1);
}

const { tsImport } = await import("tsx/esm/api");
const { main } = await tsImport("../src/cli/main.ts", {
  parentURL: import.meta.url,
  // The repository's own settings, whatever directory the command runs in.
  tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)),
});
const code = await main(process.argv.slice(2));
// Exit now rather than when fetch's idle keep-alive sockets close (seconds later),
// once what was written has been handed to the terminal or pipe.
for (const stream of [process.stdout, process.stderr]) await new Promise((resolve) => stream.write("", resolve));
process.exit(code);
