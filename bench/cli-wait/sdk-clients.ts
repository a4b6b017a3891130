// SDK clients for the CLI bench: CLIENTS real `@killswitch/sdk` clients (its Node entry) of one key,
// in a process of their own. Prints {"ready":n} once every client's ready() resolved, then runs until
// SIGTERM or until its stdin closes (the bench is gone).
import { createClient } from "@killswitch/sdk/node.js";

const url = process.env.KILLSWITCH_URL!;
const sdkKey = process.env.KILLSWITCH_SDK_KEY!;
const count = Number(process.env.CLIENTS);

const clients = Array.from({ length: count }, (_, i) => createClient({ url, sdkKey, app: `bench-app-${i % 10}` }));
const states = await Promise.all(clients.map((c) => c.ready({ timeoutMs: 60_000 })));
console.log(JSON.stringify({ ready: states.filter((s) => s === "ready").length }));

const stop = async (): Promise<void> => {
  await Promise.all(clients.map((c) => c.close()));
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
process.stdin.once("end", () => void stop());
process.stdin.resume();
