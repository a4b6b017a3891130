/**
 * A webhook receiver for tests: an HTTP server on 127.0.0.1 that verifies every
 * delivery with the `standardwebhooks` package (the specification's reference
 * implementation), records it, and answers what the test tells it to: a status
 * per request, or nothing until released (a slow receiver). It can stop and
 * listen again on the same port (a receiver that is down for a while).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  /** The parsed body; null when it was not JSON. */
  json: any;
  /** Whether standardwebhooks verified it with the secret the test set (null: no secret set yet). */
  verified: boolean | null;
  /** Why verification failed. */
  error?: string;
  at: number;
}

export type Answer = { status: number; body?: string } | "hold";

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>/hook`. */
  readonly url: string;
  readonly received: Received[];
  /** The secrets deliveries must verify with (any of them). */
  secrets: string[];
  /** What the next requests get, in order; then `fallback`. */
  answers: Answer[];
  fallback: Answer;
  /** Answers every held request (200). */
  release(): void;
  /** Requests held right now. */
  readonly holding: number;
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<WebhookReceiver> {
  const received: Received[] = [];
  const held = new Set<ServerResponse>();
  const sockets = new Set<import("node:net").Socket>();
  let port = 0;
  let server: Server;

  const receiver: WebhookReceiver = {
    get url() {
      return `http://127.0.0.1:${port}/hook`;
    },
    received,
    secrets: [],
    answers: [],
    fallback: { status: 200, body: "ok" },
    release() {
      for (const res of held) res.writeHead(200).end("released");
      held.clear();
    },
    get holding() {
      return held.size;
    },
    stop: () => stop(),
    start: () => listen(),
    async close() {
      receiver.release();
      await stop();
    },
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = {
        "webhook-id": String(req.headers["webhook-id"] ?? ""),
        "webhook-timestamp": String(req.headers["webhook-timestamp"] ?? ""),
        "webhook-signature": String(req.headers["webhook-signature"] ?? ""),
      };
      let json: any = null;
      try {
        json = JSON.parse(body);
      } catch {
        // recorded as not JSON
      }
      const record: Received = {
        id: headers["webhook-id"],
        timestamp: headers["webhook-timestamp"],
        signature: headers["webhook-signature"],
        body,
        json,
        verified: receiver.secrets.length === 0 ? null : false,
        at: Date.now(),
      };
      for (const secret of receiver.secrets) {
        try {
          new Webhook(secret).verify(body, headers);
          record.verified = true;
          break;
        } catch (error) {
          record.error = (error as Error).message;
        }
      }
      received.push(record);
      const answer = receiver.answers.shift() ?? receiver.fallback;
      if (answer === "hold") {
        held.add(res);
        res.on("close", () => held.delete(res));
        return;
      }
      res.writeHead(answer.status, { "content-type": "text/plain" }).end(answer.body ?? "");
    });
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer(handle);
      server.on("connection", (socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
      });
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });

  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });

  await listen();
  return receiver;
}
