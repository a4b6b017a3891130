import { notFound } from "../../core/problem.js";
import { deleteSchema, keyCreateSchema } from "../../core/schemas/admin.js";
import { pageQuerySchema } from "../../core/schemas/paging.js";
import type { App, AppDeps } from "../app-env.js";
import { actorOf, requireKey } from "../auth.js";
import { noQuery, readBody, readQuery } from "../request.js";

const KEY_ID = /^key_[a-z0-9]{12}$/;

export function keyRoutes(app: App, { store }: AppDeps): void {
  app.get("/v1/keys", async (c) => {
    const key = requireKey(c, "admin");
    return c.json(await store.listKeys(key.tenantId, readQuery(c, pageQuerySchema)));
  });

  app.post("/v1/keys", async (c) => {
    const key = requireKey(c, "admin");
    noQuery(c);
    const input = await readBody(c, keyCreateSchema);
    return c.json(await store.createKey(key.tenantId, actorOf(c), input), 201);
  });

  app.delete("/v1/keys/:id", async (c) => {
    const key = requireKey(c, "admin");
    const id = c.req.param("id");
    if (!KEY_ID.test(id)) throw notFound(`No key "${id}".`);
    await store.getKey(key.tenantId, id);
    noQuery(c);
    const input = await readBody(c, deleteSchema, { optional: true });
    await store.revokeKey(key.tenantId, actorOf(c), id, input);
    return c.body(null, 204);
  });
}
