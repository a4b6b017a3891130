/**
 * A process of SDK clients and nothing else, so that what happens to the server's
 * process (a restart, a busy moment) does not delay the clients' timers, and the
 * other way round: as with applications on other machines.
 *
 * Run by `startClientsProcess` (clients-process-handle.ts), and by the CLI bench
 * (bench/cli-wait/run.ts), with KILLSWITCH_URL, KILLSWITCH_SDK_KEY and CLIENTS in
 * the environment, and optionally CLIENTS_APP (the app the clients name, default
 * "e2e-clients-process"), CLIENTS_APPS (spread them over that many apps,
 * `<app>-0` …) and CLIENTS_READY_MS (how long each waits to be ready, default
 * 30 s). Prints one JSON line once every client's `ready()` has resolved, then
 * runs until SIGTERM or until its stdin closes (the process that started it is
 * gone). A line `delays` on stdin answers with one JSON line, `{"delays":[…]}`:
 * every reconnect delay its clients chose so far.
 */
import { createClient } from "@killswitch/sdk/node.js";

// The reconnect delays the clients choose, as they hand them to the timer that reconnects
// (the client's `connect`): what the backoff decided, whatever the machine's load then does
// to when the timers fire and the server sees the attempts.
const delays: number[] = [];
const setTimer = globalThis.setTimeout;
globalThis.setTimeout = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
  if (callback.name === "connect") delays.push(ms ?? 0);
  return setTimer(callback, ms, ...args);
}) as typeof setTimeout;

const url = process.env.KILLSWITCH_URL!;
const sdkKey = process.env.KILLSWITCH_SDK_KEY!;
const count = Number(process.env.CLIENTS);
const app = process.env.CLIENTS_APP ?? "e2e-clients-process";
const apps = process.env.CLIENTS_APPS === undefined ? undefined : Number(process.env.CLIENTS_APPS);
const readyMs = Number(process.env.CLIENTS_READY_MS ?? 30_000);

const clients = Array.from({ length: count }, (_, i) => createClient({ url, sdkKey, app: apps === undefined ? app : `${app}-${i % apps}` }));
const states = await Promise.all(clients.map((c) => c.ready({ timeoutMs: readyMs })));
console.log(JSON.stringify({ ready: states.filter((s) => s === "ready").length }));

const stop = async (): Promise<void> => {
  await Promise.all(clients.map((c) => c.close()));
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
process.stdin.once("end", () => void stop());
let input = "";
process.stdin.on("data", (chunk) => {
  input += chunk;
  for (let i; (i = input.indexOf("\n")) >= 0; input = input.slice(i + 1)) {
    if (input.slice(0, i) === "delays") console.log(JSON.stringify({ delays }));
  }
});
process.stdin.resume();
