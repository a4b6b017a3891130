/**
 * The Node host's hub (createStreamHub, real `ws` sockets on 127.0.0.1) as a
 * conformance target, over the stream tests' stand-in source with snapshot reads
 * the case can hold, and the real propagation tracker for the receipts.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { PropagationTracker } from "../../../src/node/stream/propagation-tracker.js";
import { createStreamHub } from "../../../src/node/stream/index.js";
import { FakeSource, TENANT } from "../../node/stream/harness.js";
import { openStream } from "../../worker/stream-client.js";
import type { StreamTarget } from "../cases.js";

const ENV = "production";
const KEY = "ks_tenant0001_prod";

/**
 * FakeSource whose snapshot reads wait while held, and then read the state as of their
 * release; or, stalled, read the state at once and answer it at the release.
 */
class HeldSource extends FakeSource {
  held: (() => void)[] | null = null;
  stalled = false;
  override async snapshot(tenantId: string, env: string) {
    const read = this.stalled ? super.snapshot(tenantId, env) : null; // FakeSource reads as it is called
    if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
    return read ?? super.snapshot(tenantId, env);
  }
}

export async function nodeHubTarget(): Promise<StreamTarget> {
  const source = new HeldSource();
  const tracker = new PropagationTracker();
  const hub = createStreamHub({
    source,
    tracker,
    authenticate: (key) => (key === KEY ? { tenantId: TENANT, env: ENV, keyId: "key-prod" } : { status: 401, detail: "unknown key" }),
  });
  const server = createServer((_req, res) => res.writeHead(404).end());
  server.on("upgrade", hub.handleUpgrade);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const commit = () => {
    const change = source.commit(TENANT, ENV, "model.fable-5", true);
    hub.publish(change);
    return change.version;
  };
  commit(); // every case starts at version 1
  const streams: Awaited<ReturnType<typeof openStream>>[] = [];
  return {
    async open() {
      const stream = await openStream(url, [], { authorization: `Bearer ${KEY}` });
      streams.push(stream);
      let pongs = 0;
      const next = async (): Promise<string> => {
        for (;;) {
          const frame = await stream.next();
          if (frame !== "pong") return frame;
          pongs++; // settle's, read here when a case reads frames first
        }
      };
      return {
        sendText: (text) => stream.ws.send(text),
        sendBinary: (bytes) => stream.ws.send(bytes),
        next,
        closed: stream.closed,
        // The hub handles a socket's frames in order and answers a ping at once: its pong says the rest was handled.
        settle: () =>
          new Promise<void>((resolve) => {
            if (stream.ws.readyState !== stream.ws.OPEN) return resolve();
            const onMessage = (data: Buffer) => {
              if (data.toString() !== "pong") return;
              stream.ws.off("message", onMessage);
              resolve();
            };
            stream.ws.on("message", onMessage);
            stream.ws.once("close", () => resolve());
            stream.ws.send("ping");
          }),
      };
    },
    commit: async () => commit(),
    async holdSnapshots() {
      source.held = [];
    },
    async stallSnapshots() {
      source.held = [];
      source.stalled = true;
    },
    async releaseSnapshots() {
      const waiting = source.held ?? [];
      source.held = null;
      source.stalled = false;
      for (const release of waiting) release();
    },
    async revokeKey() {
      hub.keyRevoked(TENANT, "key-prod");
    },
    async receipt(v) {
      const receipt = tracker.receipt(TENANT, ENV, v);
      return receipt && { connected: receipt.connected, pending: receipt.pending.length };
    },
    async close() {
      for (const s of streams) s.ws.terminate();
      await hub.close(200);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
