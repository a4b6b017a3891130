/**
 * The server under test, in its own process so that the load generator does not
 * share its event loop: the Node host on 127.0.0.1 over the database URL given,
 * with the root token given; `--webhooks-to-loopback` lets webhooks call
 * 127.0.0.1 (the webhook bench's receivers). Started by forkNodeServer
 * (node-server.ts); reports its URL over IPC and stops on the message "stop".
 */
import { startServer } from "../../src/node/server.js";

const [databaseUrl, rootToken, ...flags] = process.argv.slice(2);
const webhooks = flags.includes("--webhooks-to-loopback") ? { webhooks: { allowPrivate: true } } : {};
const server = await startServer({ databaseUrl, rootToken, host: "127.0.0.1", port: 0, ...webhooks });
process.send?.({ url: server.url });
process.on("message", (message) => {
  if (message === "stop") void server.close().then(() => process.exit(0));
});
