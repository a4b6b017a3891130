/**
 * The stream upgrade, the one route only the Worker host serves itself, added
 * to the shared app through `extend` (after its authentication, before its 404).
 */
import type { App } from "../http/create-app.js";
import { forbidden } from "../core/problem.js";
import type { HibernatingHub } from "./hibernating-hub.js";

export function streamRoute(app: App, hub: HibernatingHub): void {
  app.get("/v1/stream", (c) => {
    const principal = c.get("principal");
    if (principal.kind !== "key" || principal.key.role !== "sdk" || principal.key.env === null) {
      throw forbidden("The stream takes an sdk key.");
    }
    return hub.accept(c.req.raw, { env: principal.key.env, keyId: principal.key.keyId });
  });
}
