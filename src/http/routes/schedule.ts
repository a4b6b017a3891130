/**
 * The schedule: what is due in an environment, one entry, and cancelling one.
 * Entries are made by the actions given `at` or `until` (flag-configs.ts).
 */
import { notFound } from "../../core/problem.js";
import { scheduleCancelSchema, scheduleQuerySchema } from "../../core/schemas/schedule.js";
import type { App, AppDeps } from "../app-env.js";
import { actorOf, requireKey } from "../auth.js";
import { noQuery, pathKey, readBody, readQuery } from "../request.js";

const SCHEDULE_ID = /^sch_[a-z0-9]{16}$/;

function pathScheduleId(id: string): string {
  if (!SCHEDULE_ID.test(id)) throw notFound(`No scheduled change "${id}".`);
  return id;
}

export function scheduleRoutes(app: App, { store }: AppDeps): void {
  app.get("/v1/envs/:env/schedule", async (c) => {
    const key = requireKey(c, "viewer");
    const env = pathKey(c, "env", "environment");
    await store.getEnvironment(key.tenantId, env);
    return c.json(await store.schedule.list(key.tenantId, env, readQuery(c, scheduleQuerySchema)));
  });

  app.get("/v1/schedule/:id", async (c) => {
    const key = requireKey(c, "viewer");
    const entry = await store.schedule.get(key.tenantId, pathScheduleId(c.req.param("id")));
    noQuery(c);
    return c.json(entry);
  });

  app.delete("/v1/schedule/:id", async (c) => {
    const key = requireKey(c, "operator");
    const id = pathScheduleId(c.req.param("id"));
    await store.schedule.get(key.tenantId, id);
    noQuery(c);
    const input = await readBody(c, scheduleCancelSchema);
    return c.json(await store.schedule.cancel(key.tenantId, actorOf(c), id, input));
  });
}
