/**
 * An in-memory stand-in for the service's stream, for tests that run on vitest's
 * fake clock: every socket the client opens is handed to `script` on the next timer
 * tick, and the script plays the service (open, deliver frames, close with a code).
 * Nothing touches the network, so time is entirely the fake clock's.
 */
import type { Socket, WebSocketConstructor } from "../../src/client/transport.js";
import type { SnapshotMessage } from "../../src/protocol.js";
import { blockedForForeigners, foreignNationals } from "./flags.js";

export interface StubSocket extends Socket {
  /** Date.now() when the client created it. */
  readonly createdAt: number;
  /** Date.now() when the service closed it (`end`). */
  readonly endedAt: number | undefined;
  /** Frames the client sent, in order. */
  readonly sent: string[];
  /** The service accepts: readyState 1 and `onopen`. */
  accept(): void;
  /** The service sends a text frame. */
  deliver(data: string): void;
  /** The service closes with `code` (after an error event when `error` is given). */
  end(code: number, error?: Error): void;
}

/** A snapshot frame holding `model.fable-5` (fail-closed, blocked for foreign nationals) at version `v`. */
export const snapshotFrame = (v = 1, extra: Partial<SnapshotMessage> = {}): string =>
  JSON.stringify({
    t: "snapshot",
    v,
    env: "production",
    flags: { "model.fable-5": blockedForForeigners(v) },
    segments: { "foreign-nationals": foreignNationals(v) },
    serverTime: Date.now(),
    ...extra,
  } satisfies SnapshotMessage);

/** A WebSocket constructor for `createClient` and the sockets it made; with `pong`, every `ping` is answered. */
export const stubService = (script: (socket: StubSocket) => void, { pong = false } = {}): { WebSocket: WebSocketConstructor; sockets: StubSocket[] } => {
  const sockets: StubSocket[] = [];
  class Stub implements StubSocket {
    readonly createdAt = Date.now();
    endedAt: number | undefined;
    readonly sent: string[] = [];
    readyState = 0;
    onopen: Socket["onopen"] = null;
    onmessage: Socket["onmessage"] = null;
    onclose: Socket["onclose"] = null;
    onerror: Socket["onerror"] = null;

    constructor() {
      sockets.push(this);
      setTimeout(() => script(this));
    }

    accept(): void {
      this.readyState = 1;
      this.onopen?.();
    }

    deliver(data: string): void {
      this.onmessage?.({ data });
    }

    end(code: number, error?: Error): void {
      this.readyState = 3;
      this.endedAt = Date.now();
      if (error) this.onerror?.({ error, message: error.message });
      this.onclose?.({ code });
    }

    send(data: string): void {
      this.sent.push(data);
      if (pong && data === "ping") queueMicrotask(() => this.deliver("pong"));
    }

    close(): void {
      this.readyState = 3;
    }
  }
  return { WebSocket: Stub as unknown as WebSocketConstructor, sockets };
};
