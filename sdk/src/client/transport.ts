import { SUBPROTOCOL } from "../protocol.js";
import { nodeImport } from "./node-import.js";

/**
 * A standard WebSocket constructor: the global `WebSocket` of browsers, Deno,
 * Bun, Node 22+ and Workers, or `ws`'s `WebSocket` class. Given one, the client
 * offers the key as a subprotocol.
 *
 * @example
 * ```ts
 * import { WebSocket } from "ws";
 * createClient({ url, sdkKey, WebSocket });
 * ```
 */
export type WebSocketConstructor = new (url: string, protocols?: string[]) => unknown;

/** What the client uses of a socket: the WHATWG WebSocket's handler properties. */
export interface Socket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number): void;
  /** `ws` only: drop without a closing handshake (a silent peer never completes one). */
  terminate?(): void;
  onopen: (() => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number }) => void) | null;
  onerror: ((event: { message?: string; error?: unknown }) => void) | null;
}

/** `wss://host/base/v1/stream` from `https://host/base/` (and ws:// from http://). */
export const streamUrl = (base: string): string => base.replace(/^http/, "ws") + "/v1/stream";

/**
 * Resolves to a function that opens the stream. Where a WebSocket constructor
 * exists, headers cannot be set, so the key travels as the second offered
 * subprotocol (the server selects the first; the key is never in the URL). On
 * Node 20 there is none: `ws` is loaded and the key goes in the Authorization
 * header. Loading is separate from opening so that a client closed meanwhile
 * opens nothing.
 */
export const socketOpener = async (ctor?: WebSocketConstructor): Promise<(url: string, key: string) => Socket> => {
  const WS = ctor ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (WS) return (url, key) => new WS(url, [SUBPROTOCOL, key]) as Socket;
  const ws: { WebSocket: new (url: string, options: object) => Socket } = await nodeImport("ws");
  return (url, key) => new ws.WebSocket(url, { headers: { authorization: `Bearer ${key}` } });
};
