/**
 * Run by client-close.test.ts in its own process: creates a client, lets it reach
 * the state named by argv[2], closes it, and then must exit on its own. A timer,
 * socket or request left behind keeps the process alive and fails the test.
 */
import { createClient } from "../../src/node.js";

const [, , scenario = "", url = "", key = ""] = process.argv;
const client = createClient({ url, sdkKey: key, reconnectDelayMs: 50 });
client.on("error", () => {});

if (scenario === "down") {
  // Closing while the client is retrying against a dead service.
  await new Promise((resolve) => client.on("error", resolve));
} else {
  console.log(await client.ready({ timeoutMs: 5_000 }));
}
await client.close();
console.log("closed");
