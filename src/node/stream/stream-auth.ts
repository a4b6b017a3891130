import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { SUBPROTOCOL } from "@killswitch/sdk/protocol.js";
import { PROBLEM_TYPES, type Problem, type ProblemKind } from "../../core/problem.js";

/** Who a stream belongs to: an sdk key's tenant, environment and key id. */
export interface StreamPrincipal {
  tenantId: string;
  env: string;
  keyId: string;
}

/** Why an upgrade is refused, answered as a plain HTTP response with problem JSON. */
export interface StreamRejection {
  status: keyof typeof KIND_OF;
  detail: string;
}

/**
 * Resolves an sdk key to its principal, or says why it may not stream: 401 for a
 * malformed, unknown or revoked key, 403 for a key that is not an sdk key.
 */
export type StreamAuthenticator = (
  key: string,
  req: IncomingMessage,
) => StreamPrincipal | StreamRejection | Promise<StreamPrincipal | StreamRejection>;

export function isRejection(r: StreamPrincipal | StreamRejection): r is StreamRejection {
  return "status" in r;
}

/**
 * The sdk key of an upgrade request: `Authorization: Bearer <key>`, or, where a
 * client cannot set headers, the second entry of
 * `Sec-WebSocket-Protocol: killswitch.v1, <key>`. Never the URL: URLs end up in
 * access logs and proxies.
 */
export function streamKey(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    return m ? m[1]! : null;
  }
  const offered = req.headers["sec-websocket-protocol"];
  if (offered === undefined) return null;
  const protocols = offered.split(",").map((p) => p.trim());
  if (protocols.length !== 2 || !protocols.includes(SUBPROTOCOL)) return null;
  return protocols.find((p) => p !== SUBPROTOCOL) ?? null;
}

/**
 * The subprotocol to answer: only ever `killswitch.v1`, so a key offered as a
 * subprotocol is never echoed back (ws would pick the first offered one).
 */
export function selectProtocol(protocols: Set<string>): string | false {
  return protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false;
}

/** The service's problem types for the statuses an upgrade can be refused with. */
const KIND_OF = { 400: "validation", 401: "unauthorized", 403: "forbidden", 404: "notFound", 503: "busy" } as const satisfies Record<
  number,
  ProblemKind
>;

/** Refuse an upgrade with an RFC 9457 problem, as the HTTP API would, then close the socket. */
export function rejectUpgrade(socket: Duplex, rejection: StreamRejection, headers: Record<string, string> = {}): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const { type, title, status } = PROBLEM_TYPES[KIND_OF[rejection.status]];
  const problem: Problem = { type, title, status, detail: rejection.detail };
  const body = JSON.stringify(problem);
  const head = [
    `HTTP/1.1 ${status} ${title}`,
    "Connection: close",
    "Content-Type: application/problem+json",
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...(status === 401 ? ['WWW-Authenticate: Bearer realm="killswitch"'] : []),
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.on("error", () => socket.destroy()); // a peer that went away must not crash the process
  socket.once("finish", () => socket.destroy());
  socket.end(`${head.join("\r\n")}\r\n\r\n${body}`);
}
