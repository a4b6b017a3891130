import type { ClientOptions, KillswitchClient } from "../../src/client.js";
// The Node entry: Node 20 has no global WebSocket, and the tests use file caches.
import { createClient } from "../../src/node.js";

const created: KillswitchClient[] = [];

/** Creates a client that {@link closeClients} closes after the test. */
export const client = (options: ClientOptions): KillswitchClient => {
  const c = createClient(options);
  created.push(c);
  return c;
};

export const closeClients = async (): Promise<void> => {
  await Promise.all(created.splice(0).map((c) => c.close()));
};

/** Collects a client's `error` events. */
export const errors = (c: KillswitchClient): Error[] => {
  const all: Error[] = [];
  c.on("error", (e) => all.push(e));
  return all;
};
