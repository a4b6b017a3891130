import { ProblemError } from "../../core/problem.js";
import type { App, AppDeps } from "../app-env.js";
import { openApiDocument } from "../openapi.js";
import { noQuery } from "../request.js";

/** Routes without a key. */
export function metaRoutes(app: App, deps: Pick<AppDeps, "readiness">): void {
  // Liveness: the process answers. It reads nothing, so a stuck database never fails it.
  app.get("/healthz", (c) => {
    noQuery(c);
    return c.json({ ok: true as const });
  });
  app.get("/readyz", async (c) => {
    noQuery(c);
    const reason = (await deps.readiness?.()) ?? null;
    if (reason !== null) throw new ProblemError("unavailable", reason);
    return c.json({ ok: true as const });
  });
  app.get("/openapi.json", (c) => {
    noQuery(c);
    return c.json(openApiDocument());
  });
}
