/**
 * The service's side of one in-memory stream, for the benchmark: it opens on the next
 * turn of the loop, answers each `ping` with a `pong` (a live service), and delivers what
 * the benchmark gives it. Nothing goes over a network, so what is timed is the client's
 * own work.
 */
import type { WebSocketConstructor } from "@killswitch/sdk";

export interface BenchStream {
  WebSocket: WebSocketConstructor;
  /** Resolves once the client's socket is open. */
  opened: Promise<void>;
  deliver(text: string): void;
}

export function benchStream(): BenchStream {
  let socket: { onmessage: ((e: { data: unknown }) => void) | null } | undefined;
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  class Socket {
    readyState = 0;
    onopen: (() => void) | null = null;
    onmessage: ((e: { data: unknown }) => void) | null = null;
    onclose: (() => void) | null = null;
    onerror: (() => void) | null = null;
    constructor() {
      socket = this;
      setTimeout(() => {
        this.readyState = 1;
        this.onopen?.();
        open();
      });
    }
    send(data: string): void {
      if (data === "ping") setTimeout(() => this.onmessage?.({ data: "pong" }));
    }
    close(): void {
      this.readyState = 3;
    }
  }
  return { WebSocket: Socket as unknown as WebSocketConstructor, opened, deliver: (text) => socket!.onmessage!({ data: text }) };
}
