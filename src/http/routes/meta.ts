import type { App } from "../app-env.js";
import { openApiDocument } from "../openapi.js";
import { noQuery } from "../request.js";

/** Routes without a key. */
export function metaRoutes(app: App): void {
  app.get("/healthz", (c) => {
    noQuery(c);
    return c.json({ ok: true as const });
  });
  app.get("/openapi.json", (c) => {
    noQuery(c);
    return c.json(openApiDocument());
  });
}
