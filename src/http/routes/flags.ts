import { flagDeleteSchema } from "../../core/schemas/admin.js";
import { flagCreateSchema, flagPatchSchema } from "../../core/schemas/flag.js";
import { pageQuerySchema } from "../../core/schemas/paging.js";
import type { App, AppDeps } from "../app-env.js";
import { actorOf, requireKey } from "../auth.js";
import { noQuery, pathKey, readBody, readQuery } from "../request.js";

export function flagRoutes(app: App, { store }: AppDeps): void {
  app.get("/v1/flags", async (c) => {
    const key = requireKey(c, "viewer");
    return c.json(await store.listFlags(key.tenantId, readQuery(c, pageQuerySchema)));
  });

  app.post("/v1/flags", async (c) => {
    const key = requireKey(c, "operator");
    noQuery(c);
    const input = await readBody(c, flagCreateSchema);
    const flag = await store.createFlag(key.tenantId, actorOf(c), input);
    return c.json(flag, 201, { location: `/v1/flags/${flag.key}` });
  });

  app.get("/v1/flags/:key", async (c) => {
    const key = requireKey(c, "viewer");
    const flag = await store.getFlag(key.tenantId, pathKey(c, "key", "flag"));
    noQuery(c);
    return c.json(flag);
  });

  app.patch("/v1/flags/:key", async (c) => {
    const key = requireKey(c, "operator");
    const flagKey = pathKey(c, "key", "flag");
    await store.getFlag(key.tenantId, flagKey);
    noQuery(c);
    const input = await readBody(c, flagPatchSchema);
    return c.json(await store.patchFlag(key.tenantId, actorOf(c), flagKey, input));
  });

  app.delete("/v1/flags/:key", async (c) => {
    const key = requireKey(c, "operator");
    const flagKey = pathKey(c, "key", "flag");
    await store.getFlag(key.tenantId, flagKey);
    noQuery(c);
    const input = await readBody(c, flagDeleteSchema);
    await store.deleteFlag(key.tenantId, actorOf(c), flagKey, input);
    return c.body(null, 204);
  });
}
