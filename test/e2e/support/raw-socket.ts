/**
 * A bare `ws` client on `/v1/stream`: it speaks (or breaks) protocol 1 by hand,
 * where the SDK would always behave.
 */
import type { IncomingMessage } from "node:http";
import type { ServerMessage } from "@killswitch/sdk";
import { WebSocket } from "ws";
import { waitFor } from "./wait-for.js";

export interface RawSocket {
  ws: WebSocket;
  /** Every text frame received, parsed (`pong` stays a string). */
  received: (ServerMessage | "pong")[];
  /** Resolves when the server closes the socket. */
  closed: Promise<{ code: number; reason: string }>;
  /** Waits for the first received frame matching `predicate`. */
  waitFor(predicate: (m: ServerMessage | "pong") => boolean, timeoutMs?: number): Promise<ServerMessage | "pong">;
}

const streamUrl = (baseUrl: string): string => `${baseUrl.replace(/^http/, "ws")}/v1/stream`;

/** Opens a socket with the key as a bearer header; resolves once it is open. */
export async function openRawSocket(baseUrl: string, key: string): Promise<RawSocket> {
  const ws = new WebSocket(streamUrl(baseUrl), { headers: { authorization: `Bearer ${key}` } });
  const received: RawSocket["received"] = [];
  ws.on("message", (data, isBinary) => {
    if (isBinary) return;
    const text = String(data);
    received.push(text === "pong" ? "pong" : (JSON.parse(text) as ServerMessage));
  });
  ws.on("error", () => {}); // the close event says what happened
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once("close", (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("unexpected-response", (_req, res: IncomingMessage) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once("error", reject);
  });
  return {
    ws,
    received,
    closed,
    async waitFor(predicate, timeoutMs = 20_000) {
      await waitFor(() => received.some(predicate), timeoutMs, "a frame from the server");
      return received.find(predicate)!;
    },
  };
}

/** Attempts an upgrade that the server should refuse; resolves with its HTTP answer. */
export function refusedUpgrade(baseUrl: string, key: string): Promise<{ status: number; body: { status?: number; detail?: string } }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(streamUrl(baseUrl), { headers: { authorization: `Bearer ${key}` } });
    ws.on("open", () => {
      ws.terminate();
      reject(new Error("the upgrade was accepted"));
    });
    ws.on("error", () => {}); // ws reports the refusal as an error too
    ws.on("unexpected-response", (_req, res: IncomingMessage) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
  });
}
