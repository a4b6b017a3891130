/**
 * The Hono app: the admin API, snapshots, health and OpenAPI. The same app runs on
 * every host; a host passes its store and broadcaster, and may add routes (the
 * WebSocket stream) through `extend`.
 *
 * Order of answers, fixed by the contract: 413 (body over 256 KiB, before anything
 * is parsed) → 401 → 403 → 404 → 400 → 409.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { OperatorEvents } from "../core/events/operator-events.js";
import { ProblemError } from "../core/problem.js";
import { telemetryOf, type Telemetry } from "../core/telemetry.js";
import type { App, AppDeps, AppEnv } from "./app-env.js";
import { auditCheckpoint } from "./audit-checkpoint.js";
import { consoleApp } from "./console/index.js";
import { authentication } from "./auth.js";
import { keyToucher } from "./credentials.js";
import { sdkCors } from "./cors.js";
import { observeRequests, reportFailure } from "./observe-requests.js";
import { errorToResponse, notFoundResponse } from "./problem-response.js";
import { attributeRoutes } from "./routes/attributes.js";
import { auditRoutes } from "./routes/audit.js";
import { directiveRoutes } from "./routes/directives.js";
import { environmentRoutes } from "./routes/environments.js";
import { eventRoutes } from "./routes/events.js";
import { evaluateRoutes } from "./routes/evaluate.js";
import { flagConfigRoutes } from "./routes/flag-configs.js";
import { flagStateRoutes } from "./routes/flag-states.js";
import { flagRoutes } from "./routes/flags.js";
import { keyRoutes } from "./routes/keys.js";
import { metaRoutes } from "./routes/meta.js";
import { metricsRoutes } from "./routes/metrics.js";
import { ofrepRoutes } from "./routes/ofrep.js";
import { segmentRoutes } from "./routes/segments.js";
import { signingRoutes } from "./routes/signing.js";
import { snapshotRoutes } from "./routes/snapshots.js";
import { tenantRoutes } from "./routes/tenants.js";
import { scheduleRoutes } from "./routes/schedule.js";
import { webhookRoutes } from "./routes/webhooks.js";

export const MAX_BODY_BYTES = 256 * 1024;

export type { App, AppDeps, AppEnv, Principal } from "./app-env.js";

export function createApp(given: AppDeps): App {
  const deps = { ...given, events: given.events ?? new OperatorEvents(), touchKey: given.touchKey ?? keyToucher(given) };
  const app = new Hono<AppEnv>();
  const report = deps.onError ?? ((error: unknown) => console.error("killswitch:", error));
  // Without a host's telemetry, a request's unexpected failure still reaches onError, once.
  const telemetry: Telemetry = deps.telemetry ?? telemetryOf({ requestServed: (record) => record.error !== undefined && report(record.error) });

  app.onError((error, c) => errorToResponse(error, (cause) => reportFailure(c, cause)));
  app.notFound(notFoundResponse);

  // First: every request, preflights and refusals included, gets an id, a log line and a metric.
  app.use("*", observeRequests(telemetry));
  // Then: a preflight carries no key, and every answer on those routes (errors too) needs the headers.
  sdkCors(app);
  // Before the body limit: OFREP bounds its own bodies (32 KiB, answered in OFREP's shape).
  ofrepRoutes(app, deps);

  app.use(
    "*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ProblemError("payloadTooLarge", `The body is over ${MAX_BODY_BYTES / 1024} KiB.`);
      },
    }),
  );
  metaRoutes(app, deps);
  // The operator console: HTML pages that call the routes below in process (src/http/console/).
  app.route(
    "/",
    consoleApp({
      store: deps.store,
      dispatch: (request, env) => app.fetch(request, env),
      clientAddress: deps.clientAddress,
      assets: deps.consoleAssets,
      onError: deps.onError,
    }),
  );
  app.use("/v1/*", authentication(deps));
  app.use("/v1/*", auditCheckpoint());

  tenantRoutes(app, deps);
  environmentRoutes(app, deps);
  keyRoutes(app, deps);
  flagRoutes(app, deps);
  flagConfigRoutes(app, deps);
  flagStateRoutes(app, deps);
  segmentRoutes(app, deps);
  attributeRoutes(app, deps);
  snapshotRoutes(app, deps);
  signingRoutes(app, deps);
  auditRoutes(app, deps);
  directiveRoutes(app, deps);
  eventRoutes(app, deps);
  evaluateRoutes(app, deps);
  metricsRoutes(app, deps);
  scheduleRoutes(app, deps);
  webhookRoutes(app, deps);
  deps.extend?.(app, deps);
  return app;
}
