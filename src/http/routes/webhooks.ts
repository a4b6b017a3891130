/**
 * Webhook endpoints (admin): create (the secret shown once), read, change,
 * delete, rotate the secret; their deliveries, and redelivery.
 */
import { notFound } from "../../core/problem.js";
import { pageQuerySchema } from "../../core/schemas/paging.js";
import {
  deliveryQuerySchema,
  webhookActionSchema,
  webhookCreateSchema,
  webhookPatchSchema,
  webhookRotateSchema,
} from "../../core/schemas/webhook.js";
import type { Context } from "hono";
import type { App, AppDeps, AppEnv } from "../app-env.js";
import { actorOf, requireKey } from "../auth.js";
import { noQuery, readBody, readQuery } from "../request.js";

const WEBHOOK_ID = /^wh_[a-z0-9]{16}$/;
const DELIVERY_ID = /^dlv_[a-z0-9]{20}$/;

function pathId(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw notFound(`No ${what} "${value}".`);
  return value;
}

export function webhookRoutes(app: App, { store }: AppDeps): void {
  const webhookOf = async (c: Context<AppEnv>) => {
    const key = requireKey(c, "admin");
    const id = pathId(c.req.param("id") ?? "", WEBHOOK_ID, "webhook");
    await store.webhooks.get(key.tenantId, id);
    return { key, id };
  };

  app.get("/v1/webhooks", async (c) => {
    const key = requireKey(c, "admin");
    return c.json(await store.webhooks.list(key.tenantId, readQuery(c, pageQuerySchema)));
  });

  app.post("/v1/webhooks", async (c) => {
    const key = requireKey(c, "admin");
    noQuery(c);
    const input = await readBody(c, webhookCreateSchema);
    return c.json(await store.webhooks.create(key.tenantId, actorOf(c), input), 201);
  });

  app.get("/v1/webhooks/:id", async (c) => {
    const { key, id } = await webhookOf(c);
    noQuery(c);
    return c.json(await store.webhooks.get(key.tenantId, id));
  });

  app.patch("/v1/webhooks/:id", async (c) => {
    const { key, id } = await webhookOf(c);
    noQuery(c);
    const input = await readBody(c, webhookPatchSchema);
    return c.json(await store.webhooks.patch(key.tenantId, actorOf(c), id, input));
  });

  app.delete("/v1/webhooks/:id", async (c) => {
    const { key, id } = await webhookOf(c);
    noQuery(c);
    const input = await readBody(c, webhookActionSchema, { optional: true });
    await store.webhooks.delete(key.tenantId, actorOf(c), id, input);
    return c.body(null, 204);
  });

  app.post("/v1/webhooks/:id/rotate-secret", async (c) => {
    const { key, id } = await webhookOf(c);
    noQuery(c);
    const input = await readBody(c, webhookRotateSchema, { optional: true });
    return c.json(await store.webhooks.rotateSecret(key.tenantId, actorOf(c), id, input));
  });

  app.get("/v1/webhooks/:id/deliveries", async (c) => {
    const { key, id } = await webhookOf(c);
    return c.json(await store.webhooks.deliveries(key.tenantId, id, readQuery(c, deliveryQuerySchema)));
  });

  app.get("/v1/webhooks/:id/deliveries/:delivery", async (c) => {
    const { key, id } = await webhookOf(c);
    const delivery = pathId(c.req.param("delivery"), DELIVERY_ID, "delivery");
    const found = await store.webhooks.delivery(key.tenantId, id, delivery);
    noQuery(c);
    return c.json(found);
  });

  app.post("/v1/webhooks/:id/deliveries/:delivery/redeliver", async (c) => {
    const { key, id } = await webhookOf(c);
    const delivery = pathId(c.req.param("delivery"), DELIVERY_ID, "delivery");
    await store.webhooks.delivery(key.tenantId, id, delivery);
    noQuery(c);
    const input = await readBody(c, webhookActionSchema, { optional: true });
    return c.json(await store.webhooks.redeliver(key.tenantId, actorOf(c), id, delivery, input), 202);
  });
}
