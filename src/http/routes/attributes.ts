/**
 * Declared context attributes: admin keys declare, every key of the tenant reads.
 */
import { notFound } from "../../core/problem.js";
import { deleteSchema } from "../../core/schemas/admin.js";
import { ATTRIBUTE_NAME_PATTERN, attributeCreateSchema, attributePutSchema } from "../../core/schemas/attribute.js";
import { pageQuerySchema } from "../../core/schemas/paging.js";
import type { App, AppDeps } from "../app-env.js";
import { actorOf, requireKey } from "../auth.js";
import { noQuery, readBody, readQuery } from "../request.js";
import type { Context } from "hono";

const ATTRIBUTE = "/v1/attributes/:name";

/** An attribute name from the path; one that breaks the grammar cannot be declared. */
function pathName(c: Context): string {
  const value = c.req.param("name") ?? "";
  if (value.length > 256 || !ATTRIBUTE_NAME_PATTERN.test(value)) throw notFound(`No attribute "${value}".`);
  return value;
}

export function attributeRoutes(app: App, { store }: AppDeps): void {
  app.get("/v1/attributes", async (c) => {
    const key = requireKey(c, "viewer");
    return c.json(await store.listAttributes(key.tenantId, readQuery(c, pageQuerySchema)));
  });

  app.post("/v1/attributes", async (c) => {
    const key = requireKey(c, "admin");
    noQuery(c);
    const input = await readBody(c, attributeCreateSchema);
    const attribute = await store.createAttribute(key.tenantId, actorOf(c), input);
    return c.json(attribute, 201, { location: `/v1/attributes/${attribute.name}` });
  });

  app.get(ATTRIBUTE, async (c) => {
    const key = requireKey(c, "viewer");
    const attribute = await store.getAttribute(key.tenantId, pathName(c));
    noQuery(c);
    return c.json(attribute);
  });

  app.put(ATTRIBUTE, async (c) => {
    const key = requireKey(c, "admin");
    const name = pathName(c);
    noQuery(c);
    const input = await readBody(c, attributePutSchema);
    const result = await store.putAttribute(key.tenantId, actorOf(c), name, input);
    return result.created
      ? c.json(result.attribute, 201, { location: `/v1/attributes/${name}` })
      : c.json(result.attribute, 200);
  });

  app.delete(ATTRIBUTE, async (c) => {
    const key = requireKey(c, "admin");
    const name = pathName(c);
    await store.getAttribute(key.tenantId, name);
    noQuery(c);
    const input = await readBody(c, deleteSchema, { optional: true });
    await store.deleteAttribute(key.tenantId, actorOf(c), name, input);
    return c.body(null, 204);
  });
}
