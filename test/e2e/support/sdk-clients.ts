/**
 * Real SDK clients (`@killswitch/sdk`), each with what it has told us: the
 * versions it applied (its `change` events) and its errors. Every client made
 * here is closed by `closeClients()`.
 */
import type { ClientOptions, KillswitchClient, ServerMessage } from "@killswitch/sdk";
// The entry a Node application gets from `@killswitch/sdk` (package.json `exports`, condition `node`):
// the core plus `ws` (Node 20 has no global WebSocket) and file caches. The path alias maps the bare
// name to the universal core, which on Node 20 could only poll.
import { createClient } from "@killswitch/sdk/node.js";
import { WebSocket } from "ws";

export interface TrackedClient {
  client: KillswitchClient;
  /** The version of every `change` event, in order. */
  versions: number[];
  errors: Error[];
  staleEvents: number;
  readyEvents: number;
}

const open = new Set<KillswitchClient>();

export function trackedClient(options: ClientOptions): TrackedClient {
  const client = createClient(options);
  open.add(client);
  const tracked: TrackedClient = { client, versions: [], errors: [], staleEvents: 0, readyEvents: 0 };
  client.on("change", ({ version }) => tracked.versions.push(version));
  client.on("error", (error) => tracked.errors.push(error));
  client.on("stale", () => tracked.staleEvents++);
  client.on("ready", () => tracked.readyEvents++);
  return tracked;
}

export async function closeClients(): Promise<void> {
  const all = [...open];
  open.clear();
  await Promise.all(all.map((c) => c.close()));
}

export interface Tap {
  /** Called with every server frame handed to the SDK, before it sees it (`pong` excepted). */
  record(message: ServerMessage): void;
  /** True to lose this frame on the way, as a faulty network would. */
  drop?(message: ServerMessage): boolean;
}

/**
 * A standard WebSocket constructor (so the SDK offers its key as a subprotocol, as
 * in a browser) over `ws`, with a tap between the network and the SDK: it records
 * what the client received, and can lose chosen frames to open a version gap.
 */
export function tappedWebSocket(tap: Tap): NonNullable<ClientOptions["WebSocket"]> {
  return class TappedWebSocket {
    onopen: (() => void) | null = null;
    onmessage: ((event: { data: unknown }) => void) | null = null;
    onclose: ((event: { code: number }) => void) | null = null;
    onerror: ((event: { message?: string; error?: unknown }) => void) | null = null;
    readonly #ws: WebSocket;

    constructor(url: string, protocols?: string[]) {
      const ws = (this.#ws = new WebSocket(url, protocols));
      ws.on("open", () => this.onopen?.());
      ws.on("close", (code) => this.onclose?.({ code }));
      ws.on("error", (error) => this.onerror?.({ message: error.message, error }));
      ws.on("message", (data, isBinary) => {
        const text = String(data);
        if (!isBinary && text !== "pong") {
          const message = JSON.parse(text) as ServerMessage;
          if (tap.drop?.(message)) return;
          tap.record(message);
        }
        this.onmessage?.({ data: text });
      });
    }

    get readyState(): number {
      return this.#ws.readyState;
    }

    send(data: string): void {
      this.#ws.send(data);
    }

    close(code?: number): void {
      this.#ws.close(code);
    }

    terminate(): void {
      this.#ws.terminate();
    }
  };
}
