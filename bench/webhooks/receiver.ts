/**
 * Webhook receivers for the benchmark, in a process of their own: `/fast/<n>`
 * answers 200 at once, `/slow/<n>` holds every request for 30 s, then 200.
 * Reports its port and the number of requests received over IPC.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

let received = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    received++;
    if (req.url?.startsWith("/slow/")) setTimeout(() => res.writeHead(200).end("late"), 30_000).unref();
    else res.writeHead(200).end("ok");
  });
});
server.listen(0, "127.0.0.1", () => process.send?.({ port: (server.address() as AddressInfo).port }));
process.on("message", (message) => {
  if (message === "count") process.send?.({ received });
  if (message === "stop") {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
