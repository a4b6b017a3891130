/**
 * Prometheus scrape targets, in the text exposition format.
 *
 * - `GET /metrics`: the whole process (Node host). Its counts cover every
 *   tenant, so it takes a token of its own (KILLSWITCH_METRICS_TOKEN), compared
 *   in constant time; without one configured the route answers as an unknown
 *   route does (404), so an unconfigured server shows nothing.
 * - `GET /v1/metrics`: one tenant's own metrics, for its admin keys (the Worker
 *   host, where each tenant's Durable Object counts for itself). A host that
 *   serves none answers 404 after the key's checks.
 */
import { constantTimeEqual } from "../../core/crypto.js";
import { notFound, unauthorized } from "../../core/problem.js";
import type { App, AppDeps } from "../app-env.js";
import { requireKey } from "../auth.js";
import { credentialOf } from "../credentials.js";
import { noQuery } from "../request.js";

export const METRICS_PATH = "/metrics";
export const TENANT_METRICS_PATH = "/v1/metrics";

export function metricsRoutes(app: App, deps: Pick<AppDeps, "metrics" | "tenantMetrics" | "telemetry">): void {
  app.get(METRICS_PATH, async (c) => {
    const metrics = deps.metrics;
    if (metrics === undefined) throw notFound(`No route GET ${METRICS_PATH}.`);
    const token = credentialOf((name) => c.req.header(name), "v1");
    if (token === null || !constantTimeEqual(token, metrics.token)) {
      deps.telemetry?.authFailed(token === null ? "missing" : "unknown");
      throw unauthorized("Send Authorization: Bearer <KILLSWITCH_METRICS_TOKEN>.");
    }
    noQuery(c);
    return c.body(await metrics.render(), 200, { "content-type": metrics.contentType });
  });

  app.get(TENANT_METRICS_PATH, async (c) => {
    requireKey(c, "admin");
    const metrics = deps.tenantMetrics;
    if (metrics === undefined) {
      throw notFound(`This host serves no per-tenant metrics: scrape GET ${METRICS_PATH} with KILLSWITCH_METRICS_TOKEN (the Worker host serves ${TENANT_METRICS_PATH}).`);
    }
    noQuery(c);
    return c.body(await metrics.render(), 200, { "content-type": metrics.contentType });
  });
}
