import type { Socket } from "node:net";
import { WebSocket } from "ws";
import type { InstanceHandle, InstanceInfo } from "../../core/propagation.js";
import type { ResyncBucket, SocketActivity } from "../../core/stream/limits.js";
import type { EnvGroup } from "./env-group.js";

/** Where a connection is in protocol 1. */
export const Phase = {
  /** Upgraded; waiting for `hello`. */
  NEW: 0,
  /** `hello` received; its snapshot or catch-up patch is being loaded. */
  LOADING: 1,
  /** Up to date: receives every patch and heartbeat. */
  LIVE: 2,
  /** Closed, or being closed: receives nothing more. */
  DONE: 3,
} as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

/**
 * One SDK connection. The hub's per-connection state lives on ws's own object
 * (ws builds it from this class: `WebSocketServer({ WebSocket })`) so that an
 * idle connection costs one object more than bare ws, not a wrapper, a closure
 * per event and a map entry (the target is ≤ 10 KiB RSS per idle connection).
 */
export class StreamSocket extends WebSocket implements SocketActivity, ResyncBucket {
  group!: EnvGroup;
  keyId = "";
  phase: Phase = Phase.NEW;
  /** The highest version this socket has been sent; -1 before its first snapshot or patch. */
  sentVersion = -1;
  /** Which tick of the hub's timers serves this socket (0–9): they visit one slice at a time. */
  slot = 0;
  /** On the hub's clock (src/core/stream/limits.ts decides what they allow). */
  connectedAt = 0;
  heardAt = 0;
  resyncTokens = 0;
  resyncAt = 0;
  /** The receipts' record, from the socket's first state on (see `connectedAtCommit`, src/core/stream/session.ts). */
  instance: InstanceHandle | null = null;
  /** The hello's fields, kept until the first state is sent. */
  hello: InstanceInfo | null = null;
  get helloed(): boolean {
    return this.phase !== Phase.NEW;
  }
  /** ws's TCP socket (not in ws's public types). */
  declare readonly _socket: Socket | null;
}
