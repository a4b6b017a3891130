import { PING } from "@killswitch/sdk/protocol.js";
import { parseClientFrame, type ClientFrame } from "../../core/stream/client-frame.js";

export type { Hello } from "../../core/stream/client-frame.js";

/** A frame from `ws`: the bare `ping`, or a protocol-1 JSON frame. */
export function parseClientBuffer(data: Buffer): ClientFrame | { t: "ping" } {
  if (data.length === PING.length && data.toString("latin1") === PING) return { t: "ping" };
  return parseClientFrame(data.toString("utf8"));
}
