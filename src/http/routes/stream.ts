/**
 * `GET /v1/stream` in the shared app, for both hosts: the sdk key check (403
 * for any other principal), the query check, and 426 for a request that is no
 * WebSocket upgrade. The Worker passes the upgrade itself to its hub; on Node
 * the HTTP server hands upgrades to the hub before the app sees them
 * (src/node/stream/stream-hub.ts), so only plain GETs arrive here.
 */
import { forbidden, ProblemError } from "../../core/problem.js";
import type { App } from "../app-env.js";
import { ROOT_ONLY_CREATES_TENANTS, sdkKeyRefusal, STREAM_PATH, type SdkKey } from "../credentials.js";
import { noQuery } from "../request.js";

/** The sdk key that opens a stream: its environment and id, as the app authenticated them. */
export interface StreamOpener {
  env: string;
  keyId: string;
}

/** `accept` upgrades the request (the Worker's hub); without it every request is answered 426 (Node). */
export function streamRoute(app: App, accept?: (request: Request, opener: StreamOpener) => Response | Promise<Response>): void {
  app.get(STREAM_PATH, (c) => {
    const principal = c.get("principal");
    // The root token never gets here: the /v1 middleware refused it (credentials.ts).
    if (principal.kind !== "key") throw forbidden(ROOT_ONLY_CREATES_TENANTS);
    const refusal = sdkKeyRefusal(principal.key, "stream");
    if (refusal !== null) throw forbidden(refusal);
    const key = principal.key as SdkKey; // an sdk key has its environment
    noQuery(c);
    if (accept === undefined || c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new ProblemError("upgradeRequired", "GET /v1/stream is a WebSocket: send Upgrade: websocket (protocol 1, see the SDK).");
    }
    return accept(c.req.raw, { env: key.env, keyId: key.keyId });
  });
}
