import { deleteSchema } from "../../core/schemas/admin.js";
import { pageQuerySchema } from "../../core/schemas/paging.js";
import { segmentInputSchema } from "../../core/schemas/segment.js";
import type { App, AppDeps } from "../app-env.js";
import { actorOf, requireKey } from "../auth.js";
import { noQuery, pathKey, readBody, readIfMatch, readQuery } from "../request.js";

const SEGMENT = "/v1/envs/:env/segments/:key";

export function segmentRoutes(app: App, { store }: AppDeps): void {
  app.get("/v1/envs/:env/segments", async (c) => {
    const key = requireKey(c, "viewer");
    const env = pathKey(c, "env", "environment");
    await store.getEnvironment(key.tenantId, env);
    return c.json(await store.listSegments(key.tenantId, env, readQuery(c, pageQuerySchema)));
  });

  app.get(SEGMENT, async (c) => {
    const key = requireKey(c, "viewer");
    const segment = await store.getSegment(key.tenantId, pathKey(c, "env", "environment"), pathKey(c, "key", "segment"));
    noQuery(c);
    return c.json(segment);
  });

  app.put(SEGMENT, async (c) => {
    const key = requireKey(c, "operator");
    const env = pathKey(c, "env", "environment");
    const segment = pathKey(c, "key", "segment");
    await store.getEnvironment(key.tenantId, env);
    noQuery(c);
    const options = readIfMatch(c);
    const input = await readBody(c, segmentInputSchema);
    const result = await store.putSegment(key.tenantId, actorOf(c), env, segment, input, options);
    return result.created
      ? c.json(result.segment, 201, { location: `/v1/envs/${env}/segments/${segment}` })
      : c.json(result.segment, 200);
  });

  app.delete(SEGMENT, async (c) => {
    const key = requireKey(c, "operator");
    const env = pathKey(c, "env", "environment");
    const segment = pathKey(c, "key", "segment");
    await store.getSegment(key.tenantId, env, segment);
    noQuery(c);
    const options = readIfMatch(c);
    const input = await readBody(c, deleteSchema, { optional: true });
    return c.json(await store.deleteSegment(key.tenantId, actorOf(c), env, segment, input, options));
  });
}
