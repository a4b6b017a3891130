import type { App } from "../app-env.js";
import { openApiDocument } from "../openapi.js";

/** Routes without a key. */
export function metaRoutes(app: App): void {
  app.get("/healthz", (c) => c.json({ ok: true as const }));
  app.get("/openapi.json", (c) => c.json(openApiDocument()));
}
