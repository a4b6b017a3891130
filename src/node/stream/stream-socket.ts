import type { Socket } from "node:net";
import { WebSocket } from "ws";
import type { InstanceHandle } from "./propagation-tracker.js";
import type { SessionState } from "../../core/stream/session.js";
import type { EnvGroup } from "./env-group.js";

/**
 * One SDK connection. The hub's per-connection state lives on ws's own object
 * (ws builds it from this class: `WebSocketServer({ WebSocket })`) so that an
 * idle connection costs one object more than bare ws, not a wrapper, a closure
 * per event and a map entry (the target is ≤ 10 KiB RSS per idle connection).
 * Where the connection is in protocol 1 is `session`, the core's session state
 * (src/core/stream/session.ts), which decides everything the socket is sent: one
 * object for the socket's life, stepped in place for frames and published changes
 * (`frameOnto`, `publishedOnto`) and, for the rest, given each step's answer
 * (`assignSession`).
 */
export class StreamSocket extends WebSocket {
  group!: EnvGroup;
  keyId = "";
  session!: SessionState;
  /** Which tick of the hub's heartbeat serves this socket (0–9): it visits one slice at a time. */
  slot = 0;
  /** The receipts' record, from the socket's first state on (the session's `connected` receipt). */
  instance: InstanceHandle | null = null;
  /** ws's TCP socket (not in ws's public types). */
  declare readonly _socket: Socket | null;
}
