/**
 * A process of SDK clients and nothing else, so that what happens to the server's
 * process (a restart, a busy moment) does not delay the clients' timers, and the
 * other way round: as with applications on other machines.
 *
 * Run by `startClientsProcess` (clients-process-handle.ts) with KILLSWITCH_URL,
 * KILLSWITCH_SDK_KEY, CLIENTS and optionally CLIENTS_APP in the environment. Prints one JSON line once
 * every client's `ready()` has resolved, then runs until SIGTERM or until its
 * stdin closes (the test process is gone).
 */
import { createClient } from "@killswitch/sdk/node.js";

const url = process.env.KILLSWITCH_URL!;
const sdkKey = process.env.KILLSWITCH_SDK_KEY!;
const count = Number(process.env.CLIENTS);
const app = process.env.CLIENTS_APP ?? "e2e-clients-process";

const clients = Array.from({ length: count }, () => createClient({ url, sdkKey, app }));
const states = await Promise.all(clients.map((c) => c.ready({ timeoutMs: 30_000 })));
console.log(JSON.stringify({ ready: states.filter((s) => s === "ready").length }));

const stop = async (): Promise<void> => {
  await Promise.all(clients.map((c) => c.close()));
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
process.stdin.once("end", () => void stop());
process.stdin.resume();
