/**
 * The Worker host's hibernating hub (the real HibernatingHub in a Durable Object
 * under `wrangler dev`, test/worker/hub-harness) as a conformance target: one
 * object per case, so that no case sees another's sockets or versions.
 */
import { fileURLToPath } from "node:url";
import { SUBPROTOCOL } from "@killswitch/sdk/protocol.js";
import { startWranglerDev, type WranglerDev } from "../../support/wrangler-dev.js";
import { openStream } from "../../worker/stream-client.js";
import type { StreamTarget } from "../cases.js";

const config = fileURLToPath(new URL("../../worker/hub-harness/wrangler.toml", import.meta.url));

export class WorkerHub {
  #objects = 0;
  private constructor(readonly dev: WranglerDev) {}

  static async start(): Promise<WorkerHub> {
    return new WorkerHub(await startWranglerDev({ config }));
  }

  /** A fresh object's name. */
  nextObject(): string {
    return `conformance-${++this.#objects}`;
  }

  stop(): Promise<void> {
    return this.dev.stop();
  }
}

export function workerHubTarget(hub: WorkerHub): StreamTarget {
  const object = hub.nextObject();
  const call = async (method: "GET" | "POST", path: string): Promise<unknown> => {
    const sep = path.includes("?") ? "&" : "?";
    const res = await fetch(`${hub.dev.url}${path}${sep}object=${object}`, { method, signal: AbortSignal.timeout(10_000) });
    if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status}\n${hub.dev.output()}`);
    return res.json();
  };
  const streams: { ws: { terminate(): void } }[] = [];
  /** Frames sent to the object; `GET /messages` counts those it handled. */
  let sent = 0;
  return {
    async open() {
      const stream = await openStream(hub.dev.url, [SUBPROTOCOL], {}, `?object=${object}&key=k1`);
      streams.push(stream);
      return {
        sendText: (text) => (sent++, stream.ws.send(text)),
        sendBinary: (bytes) => (sent++, stream.ws.send(bytes)),
        next: () => stream.next(),
        closed: stream.closed,
        // The object counts each frame as it starts handling it; the hub's decisions up to its first read are synchronous.
        async settle() {
          for (let i = 0; i < 200; i++) {
            if (((await call("GET", "/messages")) as { messages: number }).messages >= sent) return;
            await new Promise((resolve) => setTimeout(resolve, 25));
          }
          throw new Error("the object did not receive the frames sent");
        },
      };
    },
    commit: async () => ((await call("POST", "/publish")) as { version: number }).version,
    holdSnapshots: async () => void (await call("POST", "/hold")),
    stallSnapshots: async () => void (await call("POST", "/hold?stall=1")),
    releaseSnapshots: async () => void (await call("POST", "/release")),
    revokeKey: async () => void (await call("POST", "/revoke")),
    receipt: async (v) => (await call("GET", `/receipt?v=${v}`)) as { connected: number; pending: number } | null,
    async close() {
      for (const s of streams) s.ws.terminate();
    },
  };
}
