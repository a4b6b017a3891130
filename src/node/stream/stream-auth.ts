import type { Duplex } from "node:stream";
import { PROBLEM_TYPES, ProblemError, type ProblemKind } from "../../core/problem.js";
import { errorToResponse } from "../../http/problem-response.js";

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
 * Resolves the upgrade's credential (src/http/credentials.ts) to its principal, or
 * says why it may not stream (`sdkKeyChecker`: 401, or 403 for the root token or
 * a key that is not an sdk key).
 */
export type StreamAuthenticator = (key: string) => StreamPrincipal | StreamRejection | Promise<StreamPrincipal | StreamRejection>;

export function isRejection(r: StreamPrincipal | StreamRejection): r is StreamRejection {
  return "status" in r;
}

/** The service's problem kinds for the statuses an upgrade can be refused with. */
const KIND_OF = { 400: "validation", 401: "unauthorized", 403: "forbidden", 404: "notFound", 503: "busy" } as const satisfies Record<
  number,
  ProblemKind
>;

/**
 * Refuse an upgrade with the answer the app would give (`errorToResponse`: the same
 * problem JSON and headers), written on the raw socket, then close it.
 */
export function rejectUpgrade(socket: Duplex, rejection: StreamRejection | ProblemError, headers: Record<string, string> = {}): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const error = rejection instanceof ProblemError ? rejection : new ProblemError(KIND_OF[rejection.status], rejection.detail);
  const response = errorToResponse(error, () => {});
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  socket.on("error", () => socket.destroy()); // a peer that went away must not crash the process
  socket.once("finish", () => socket.destroy());
  void response.text().then((body) => {
    const head = [`HTTP/1.1 ${response.status} ${response.statusText || PROBLEM_TYPES[error.kind].title}`, "Connection: close"];
    response.headers.forEach((value, name) => {
      if (name !== "connection") head.push(`${name}: ${value}`);
    });
    head.push(`Content-Length: ${Buffer.byteLength(body)}`);
    socket.end(`${head.join("\r\n")}\r\n\r\n${body}`);
  });
}
