/**
 * The server under test, in its own process so that the load generator does not
 * share its event loop. Started by run.ts; reports its URL over IPC.
 */
import { startServer } from "../../src/node/server.js";

const [databaseUrl, rootToken] = process.argv.slice(2);
const server = await startServer({ databaseUrl, rootToken, host: "127.0.0.1", port: 0 });
process.send?.({ url: server.url });
process.on("message", (message) => {
  if (message === "stop") void server.close().then(() => process.exit(0));
});
