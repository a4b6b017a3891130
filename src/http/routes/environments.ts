import { envCreateSchema } from "../../core/schemas/admin.js";
import { pageQuerySchema } from "../../core/schemas/paging.js";
import type { App, AppDeps } from "../app-env.js";
import { actorOf, requireKey } from "../auth.js";
import { noQuery, readBody, readQuery } from "../request.js";

export function environmentRoutes(app: App, { store }: AppDeps): void {
  app.get("/v1/envs", async (c) => {
    const key = requireKey(c, "viewer");
    return c.json(await store.listEnvironments(key.tenantId, readQuery(c, pageQuerySchema)));
  });

  app.post("/v1/envs", async (c) => {
    const key = requireKey(c, "admin");
    noQuery(c);
    const input = await readBody(c, envCreateSchema);
    const env = await store.createEnvironment(key.tenantId, actorOf(c), input);
    return c.json(env, 201, { location: `/v1/envs/${env.key}` });
  });
}
