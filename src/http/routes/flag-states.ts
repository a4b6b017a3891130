/**
 * "What is blocked right now, and why": every flag's state in one environment,
 * and only what serves offVariant today.
 */
import { pageQuerySchema } from "../../core/schemas/paging.js";
import type { App, AppDeps } from "../app-env.js";
import { requireKey } from "../auth.js";
import { pathKey, readQuery } from "../request.js";

export function flagStateRoutes(app: App, { store }: AppDeps): void {
  app.get("/v1/envs/:env/flags", async (c) => {
    const key = requireKey(c, "viewer");
    const env = pathKey(c, "env", "environment");
    await store.getEnvironment(key.tenantId, env);
    return c.json(await store.listFlagStates(key.tenantId, env, readQuery(c, pageQuerySchema)));
  });

  app.get("/v1/envs/:env/blocks", async (c) => {
    const key = requireKey(c, "viewer");
    const env = pathKey(c, "env", "environment");
    await store.getEnvironment(key.tenantId, env);
    return c.json(await store.listBlocks(key.tenantId, env, readQuery(c, pageQuerySchema)));
  });
}
