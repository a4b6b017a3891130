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
