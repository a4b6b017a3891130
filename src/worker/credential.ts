import { SUBPROTOCOL } from "@killswitch/sdk/protocol.js";
import { parseToken } from "../core/keys/token.js";

/**
 * The bearer token of a request: `Authorization: Bearer <token>`, else
 * `X-API-Key` (OFREP), else, on a WebSocket upgrade, the key a browser
 * offers beside our subprotocol (`Sec-WebSocket-Protocol: killswitch.v1,
 * <key>`), as the Node host reads it (src/node/stream/stream-auth.ts).
 */
export function credentialOf(request: Request): string | null {
  const authorization = request.headers.get("authorization");
  if (authorization !== null) {
    return /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization)?.[1] ?? null;
  }
  const apiKey = request.headers.get("x-api-key");
  if (apiKey !== null) return apiKey.trim() || null;
  const offered = request.headers.get("sec-websocket-protocol");
  if (offered === null) return null;
  const protocols = offered.split(",").map((p) => p.trim());
  if (protocols.length !== 2 || !protocols.includes(SUBPROTOCOL)) return null;
  return protocols.find((p) => p !== SUBPROTOCOL) ?? null;
}

/**
 * The tenant id of a key `ks_<tenantId>_<secret>`, or null when the token is
 * not shaped like a key (its tenant id breaking `^[a-z0-9]{10}$` included).
 * Nothing here says the key is valid: the tenant's object checks the secret.
 */
export function tenantIdOfKey(token: string): string | null {
  return parseToken(token)?.tenantId ?? null;
}
