/**
 * One measured client of the stall benchmark, in a process of its own: connects to
 * serve-snapshot.mjs, applies its snapshot (and writes the cache, with --cache), and
 * prints how long the loop was held meanwhile, as JSON.
 *
 *   node --import tsx bench/sdk-state/stall-client.ts --url http://127.0.0.1:PORT --entry node|core [--cache FILE]
 *
 * `node` is the Node entry (a worker thread parses large texts); `core` is the universal
 * core as browsers, Deno and Workers run it (the whole text parsed on the loop), given
 * `ws` as its WebSocket.
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { WebSocket } from "ws";
import type { ClientOptions, KillswitchClient } from "@killswitch/sdk";
import { monitorLoop } from "./loop-monitor.js";

const { values: args } = parseArgs({ options: { url: { type: "string" }, entry: { type: "string", default: "node" }, cache: { type: "string" } } });
const { createClient } = (args.entry === "core" ? await import("../../sdk/src/index.js") : await import("../../sdk/src/node.js")) as {
  createClient: (o: ClientOptions) => KillswitchClient;
};

const monitor = monitorLoop();
const start = performance.now();
const client = createClient({
  url: args.url!,
  sdkKey: "ks_benchbench_key",
  cache: args.cache,
  staleAfterMs: 600_000,
  ...(args.entry === "core" ? { WebSocket: WebSocket as unknown as ClientOptions["WebSocket"] } : {}),
});
const applied = new Promise<void>((resolve) => client.on("change", () => resolve()));
await applied;
const appliedMs = performance.now() - start;
const flags = client.version >= 0 ? client.evaluate("model.m-0", { key: "u1", nationality: "US" }, false).reason : "none";
// close() waits for the cache write.
await client.close();
const doneMs = performance.now() - start;
const stalls = monitor.stop();
process.stdout.write(`${JSON.stringify({ ...stalls, appliedMs, doneMs, reason: flags, rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20) })}\n`);
process.exit(0);
