/**
 * The routes a tenant's object adds to the shared app through `extend`: the
 * stream upgrade, accepted by its hibernating hub, and the propagation receipts
 * read from the hub and the receipts' tracker. Free of Workers types, so that the
 * route table test can register them on Node.
 */
import type { App, AppDeps } from "../http/create-app.js";
import { propagationRoutes, type PropagationSource } from "../http/routes/propagation.js";
import { streamRoute, type StreamOpener } from "../http/routes/stream.js";

export function workerRoutes(
  acceptStream: (request: Request, opener: StreamOpener) => Response | Promise<Response>,
  propagation: PropagationSource,
): (app: App, deps: AppDeps) => void {
  return (app, deps) => {
    streamRoute(app, acceptStream);
    propagationRoutes(app, deps, propagation, "the recent versions of an environment");
  };
}
