import type { Socket } from "node:net";
import { WebSocket } from "ws";
import type { InstanceHandle } from "../../core/propagation.js";
import type { EnvGroup } from "./env-group.js";

/** Where a connection is in protocol 1. */
export const Phase = {
  /** Upgraded; waiting for `hello`. */
  NEW: 0,
  /** Still no `hello` at one reaper tick: closed at the next. */
  HELLO_DUE: 1,
  /** `hello` received; its snapshot or catch-up patch is being loaded. */
  LOADING: 2,
  /** Up to date: receives every patch and heartbeat. */
  LIVE: 3,
  /** Closed, or being closed: receives nothing more. */
  DONE: 4,
} as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

/**
 * One SDK connection. The hub's per-connection state lives on ws's own object
 * (ws builds it from this class: `WebSocketServer({ WebSocket })`) so that an
 * idle connection costs one object more than bare ws, not a wrapper, a closure
 * per event and a map entry (the target is ≤ 10 KiB RSS per idle connection).
 */
export class StreamSocket extends WebSocket {
  group!: EnvGroup;
  keyId = "";
  phase: Phase = Phase.NEW;
  /** The highest version this socket has been sent; -1 before its first snapshot or patch. */
  sentVersion = -1;
  /** Which tick of the hub's timers serves this socket (0–9): they visit one slice at a time. */
  slot = 0;
  /** Answered the last protocol ping, or sent anything since. */
  alive = true;
  instance: InstanceHandle | null = null;
  /** ws's TCP socket (not in ws's public types). */
  declare readonly _socket: Socket | null;
}
