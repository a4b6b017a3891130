/**
 * The propagation proof over HTTP: `GET /v1/envs/{env}/changes/{version}` (the
 * receipt of one version) and `GET /v1/envs/{env}/instances`, read from this
 * node's tracker. Added to the app through the host's `extend` hook.
 */
import { z } from "zod";
import { notFound } from "../../core/problem.js";
import type { PropagationTracker } from "../../core/propagation.js";
import type { App, AppDeps } from "../../http/app-env.js";
import { requireKey } from "../../http/auth.js";
import { pathKey, readQuery } from "../../http/request.js";

const instancesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100_000).optional(),
});

export function propagationRoutes(app: App, { store }: AppDeps, tracker: PropagationTracker): void {
  app.get("/v1/envs/:env/changes/:version", async (c) => {
    const key = requireKey(c, "viewer");
    const env = pathKey(c, "env", "environment");
    await store.getEnvironment(key.tenantId, env); // 404 for an environment the tenant does not have
    const raw = c.req.param("version");
    const version = /^\d{1,15}$/.test(raw) ? Number(raw) : -1;
    const receipt = version >= 0 ? tracker.receipt(key.tenantId, env, version) : null;
    if (!receipt) {
      throw notFound(
        `No propagation record for version "${raw}" of "${env}": receipts cover the recent versions committed while this server runs.`,
      );
    }
    return c.json(receipt);
  });

  app.get("/v1/envs/:env/instances", async (c) => {
    const key = requireKey(c, "viewer");
    const env = pathKey(c, "env", "environment");
    await store.getEnvironment(key.tenantId, env);
    const { limit } = readQuery(c, instancesQuery);
    return c.json(tracker.instances(key.tenantId, env, limit));
  });
}
