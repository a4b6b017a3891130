// The service's side of the stall benchmark, in a process of its own (sending 50 MB
// must not hold the measured process's loop): a WebSocket server on 127.0.0.1 that
// answers each `hello` with the snapshot text in the file given, and `ping` with `pong`.
// Prints its port.
import { readFileSync } from "node:fs";
import { WebSocketServer } from "ws";

const text = readFileSync(process.argv[2], "utf8");
const wss = new WebSocketServer({
  host: "127.0.0.1",
  port: 0,
  handleProtocols: (offered) => (offered.has("killswitch.v1") ? "killswitch.v1" : false),
});
wss.on("listening", () => process.stdout.write(`${wss.address().port}\n`));
wss.on("connection", (ws) =>
  ws.on("message", (data) => {
    const message = data.toString();
    if (message === "ping") ws.send("pong");
    else if (JSON.parse(message).t === "hello") ws.send(text);
  }),
);
