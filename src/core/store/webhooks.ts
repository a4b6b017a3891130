/**
 * A tenant's webhook endpoints and their deliveries. Every change of an
 * endpoint is audited (entity `webhook`), without its secret: the secret is
 * shown once, when it is made, and signs every delivery (src/core/webhooks/).
 */
import { and, asc, desc, eq, lt, or, sql, type SQL } from "drizzle-orm";
import type { Actor } from "../actor.js";
import { randomAlphanumeric } from "../crypto.js";
import { webhookDeliveries, webhookEvents, webhooks } from "../db/schema.js";
import { decodeCursor, toPage } from "../paging.js";
import { conflict, invalidField, notFound } from "../problem.js";
import type { Page, PageQuery } from "../schemas/paging.js";
import {
  MAX_WEBHOOKS,
  type DeliveryQuery,
  type DeliveryView,
  type WebhookCreateInput,
  type WebhookActionInput,
  type WebhookPatchInput,
  type WebhookRotateInput,
  type WebhookView,
} from "../schemas/webhook.js";
import { newWebhookSecret } from "../webhooks/signing.js";
import { urlRefusal } from "../webhooks/url-policy.js";
import type { StoreContext } from "./context.js";
import { commitMutation } from "./mutation.js";

type WebhookRow = typeof webhooks.$inferSelect;
type DeliveryRow = typeof webhookDeliveries.$inferSelect;

const iso = (ms: number): string => new Date(ms).toISOString();

export const newWebhookId = (): string => `wh_${randomAlphanumeric(16)}`;

export function webhookView(row: WebhookRow, now: number): WebhookView {
  const view: WebhookView = {
    id: row.id,
    url: row.url,
    events: row.events,
    enabled: row.enabled,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
  if (row.description !== null) view.description = row.description;
  if (row.previousSecret !== null && row.previousSecretUntil !== null && row.previousSecretUntil > now) {
    view.previousSecretUntil = iso(row.previousSecretUntil);
  }
  return view;
}

/** An endpoint with its secret: the answer of create and rotate, shown once. */
export type WebhookWithSecret = WebhookView & { secret: string };

function checkUrl(ctx: StoreContext, url: string): void {
  const refusal = urlRefusal(url, ctx.webhookUrlPolicy);
  if (refusal !== null) throw invalidField("url", refusal, "refused_url");
}

async function readWebhook(ctx: StoreContext, tenantId: string, id: string): Promise<WebhookRow> {
  const [row] = await ctx.db
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.tenantId, tenantId), eq(webhooks.id, id)));
  if (!row) throw notFound(`No webhook "${id}".`);
  return row;
}

const whereWebhook = (tenantId: string, id: string) => and(eq(webhooks.tenantId, tenantId), eq(webhooks.id, id));

export async function getWebhook(ctx: StoreContext, tenantId: string, id: string): Promise<WebhookView> {
  return webhookView(await readWebhook(ctx, tenantId, id), ctx.clock());
}

export async function listWebhooks(ctx: StoreContext, tenantId: string, query: PageQuery): Promise<Page<WebhookView>> {
  const conditions: SQL[] = [eq(webhooks.tenantId, tenantId)];
  if (query.cursor !== undefined) {
    const [id] = decodeCursor(query.cursor, ["string"] as const);
    conditions.push(sql`${webhooks.id} > ${id}`);
  }
  const rows = await ctx.db
    .select()
    .from(webhooks)
    .where(and(...conditions))
    .orderBy(asc(webhooks.id))
    .limit(query.limit + 1);
  const now = ctx.clock();
  return toPage(rows, query.limit, (row) => webhookView(row, now), (row) => [row.id]);
}

export function createWebhook(ctx: StoreContext, tenantId: string, actor: Actor, input: WebhookCreateInput): Promise<WebhookWithSecret> {
  checkUrl(ctx, input.url);
  return commitMutation(ctx, tenantId, actor, async ({ now }) => {
    const [count] = await ctx.db.select({ n: sql<number>`count(*)` }).from(webhooks).where(eq(webhooks.tenantId, tenantId));
    if (Number(count?.n ?? 0) >= MAX_WEBHOOKS) throw conflict(`A tenant may have ${MAX_WEBHOOKS} webhooks; delete one first.`);
    const row: WebhookRow = {
      tenantId,
      id: newWebhookId(),
      url: input.url,
      events: input.events,
      description: input.description ?? null,
      enabled: true,
      secret: newWebhookSecret(),
      previousSecret: null,
      previousSecretUntil: null,
      createdAt: now,
      updatedAt: now,
    };
    const view = webhookView(row, now);
    return {
      statements: [ctx.db.insert(webhooks).values(row)],
      changes: [],
      audit: { action: "webhook.create", entity: "webhook", key: row.id, before: null, after: view, reason: input.reason, directive: input.directive },
      result: { ...view, secret: row.secret },
    };
  });
}

export function patchWebhook(ctx: StoreContext, tenantId: string, actor: Actor, id: string, input: WebhookPatchInput): Promise<WebhookView> {
  if (input.url !== undefined) checkUrl(ctx, input.url);
  return commitMutation(ctx, tenantId, actor, async ({ now }) => {
    const row = await readWebhook(ctx, tenantId, id);
    const next: WebhookRow = {
      ...row,
      url: input.url ?? row.url,
      events: input.events ?? row.events,
      description: input.description === undefined ? row.description : input.description,
      enabled: input.enabled ?? row.enabled,
      updatedAt: now,
    };
    return {
      statements: [
        ctx.db
          .update(webhooks)
          .set({ url: next.url, events: next.events, description: next.description, enabled: next.enabled, updatedAt: now })
          .where(whereWebhook(tenantId, id)),
      ],
      changes: [],
      audit: {
        action: "webhook.update",
        entity: "webhook",
        key: id,
        before: webhookView(row, now),
        after: webhookView(next, now),
        reason: input.reason,
        directive: input.directive,
      },
      result: webhookView(next, now),
    };
  });
}

/** Deletes the endpoint and its deliveries not yet made. */
export function deleteWebhook(ctx: StoreContext, tenantId: string, actor: Actor, id: string, input: WebhookActionInput): Promise<void> {
  return commitMutation(ctx, tenantId, actor, async ({ now }) => {
    const row = await readWebhook(ctx, tenantId, id);
    return {
      statements: [
        ctx.db.delete(webhookDeliveries).where(and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.webhookId, id))),
        ctx.db.delete(webhooks).where(whereWebhook(tenantId, id)),
      ],
      changes: [],
      audit: { action: "webhook.delete", entity: "webhook", key: id, before: webhookView(row, now), after: null, reason: input.reason, directive: input.directive },
      result: undefined,
    };
  });
}

/**
 * A new secret, shown once. The previous one keeps signing beside it for
 * `graceSeconds`, so that a receiver can take the new one without losing a
 * delivery; 0 ends it at once.
 */
export function rotateWebhookSecret(
  ctx: StoreContext,
  tenantId: string,
  actor: Actor,
  id: string,
  input: WebhookRotateInput,
): Promise<WebhookWithSecret> {
  return commitMutation(ctx, tenantId, actor, async ({ now }) => {
    const row = await readWebhook(ctx, tenantId, id);
    const grace = input.graceSeconds * 1000;
    const next: WebhookRow = {
      ...row,
      secret: newWebhookSecret(),
      previousSecret: grace > 0 ? row.secret : null,
      previousSecretUntil: grace > 0 ? now + grace : null,
      updatedAt: now,
    };
    const view = webhookView(next, now);
    return {
      statements: [
        ctx.db
          .update(webhooks)
          .set({ secret: next.secret, previousSecret: next.previousSecret, previousSecretUntil: next.previousSecretUntil, updatedAt: now })
          .where(whereWebhook(tenantId, id)),
      ],
      changes: [],
      audit: {
        action: "webhook.rotate-secret",
        entity: "webhook",
        key: id,
        before: webhookView(row, now),
        after: view,
        reason: input.reason,
        directive: input.directive,
      },
      result: { ...view, secret: next.secret },
    };
  });
}

function deliveryView(row: DeliveryRow & { type: DeliveryView["type"] }): DeliveryView {
  const view: DeliveryView = {
    id: row.id,
    webhookId: row.webhookId,
    eventId: row.eventId,
    type: row.type,
    status: row.status,
    attemptCount: row.attemptCount,
    attempts: row.attempts.map((a) => ({ ...a, at: iso(a.at) })),
    createdAt: iso(row.createdAt),
  };
  if (row.status === "pending" && row.nextAt !== null) view.nextAttemptAt = iso(row.nextAt);
  if (row.deliveredAt !== null) view.deliveredAt = iso(row.deliveredAt);
  return view;
}

/** An endpoint's deliveries, newest first. */
export async function listDeliveries(ctx: StoreContext, tenantId: string, webhookId: string, query: DeliveryQuery): Promise<Page<DeliveryView>> {
  await readWebhook(ctx, tenantId, webhookId);
  const conditions: SQL[] = [eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.webhookId, webhookId)];
  if (query.status !== undefined) conditions.push(eq(webhookDeliveries.status, query.status));
  if (query.cursor !== undefined) {
    const [createdAt, id] = decodeCursor(query.cursor, ["number", "string"] as const);
    conditions.push(or(lt(webhookDeliveries.createdAt, createdAt), and(eq(webhookDeliveries.createdAt, createdAt), lt(webhookDeliveries.id, id)))!);
  }
  const rows = await ctx.db
    .select({ delivery: webhookDeliveries, type: webhookEvents.type })
    .from(webhookDeliveries)
    .innerJoin(webhookEvents, and(eq(webhookEvents.tenantId, webhookDeliveries.tenantId), eq(webhookEvents.id, webhookDeliveries.eventId)))
    .where(and(...conditions))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(query.limit + 1);
  return toPage(
    rows,
    query.limit,
    ({ delivery, type }) => deliveryView({ ...delivery, type }),
    ({ delivery }) => [delivery.createdAt, delivery.id],
  );
}

async function readDelivery(ctx: StoreContext, tenantId: string, webhookId: string, id: string) {
  const [row] = await ctx.db
    .select({ delivery: webhookDeliveries, type: webhookEvents.type })
    .from(webhookDeliveries)
    .innerJoin(webhookEvents, and(eq(webhookEvents.tenantId, webhookDeliveries.tenantId), eq(webhookEvents.id, webhookDeliveries.eventId)))
    .where(and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.id, id)));
  if (!row) throw notFound(`No delivery "${id}" of webhook "${webhookId}".`);
  return row;
}

export async function getDelivery(ctx: StoreContext, tenantId: string, webhookId: string, id: string): Promise<DeliveryView> {
  await readWebhook(ctx, tenantId, webhookId);
  const { delivery, type } = await readDelivery(ctx, tenantId, webhookId, id);
  return deliveryView({ ...delivery, type });
}

/**
 * Sends a delivery again, as a new round of attempts (same event, same
 * `webhook-id`, so a receiver that already has it can tell); its earlier
 * attempts stay in the log.
 */
export function redeliver(
  ctx: StoreContext,
  tenantId: string,
  actor: Actor,
  webhookId: string,
  id: string,
  input: WebhookActionInput = {},
): Promise<DeliveryView> {
  return commitMutation(ctx, tenantId, actor, async ({ now }) => {
    await readWebhook(ctx, tenantId, webhookId);
    const { delivery, type } = await readDelivery(ctx, tenantId, webhookId, id);
    const next: DeliveryRow = { ...delivery, status: "pending", attemptCount: 0, nextAt: now, deliveredAt: null, claimToken: null, claimedUntil: null };
    return {
      statements: [
        ctx.db
          .update(webhookDeliveries)
          .set({ status: "pending", attemptCount: 0, nextAt: now, deliveredAt: null, claimToken: null, claimedUntil: null })
          .where(and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.id, id))),
      ],
      changes: [],
      audit: {
        action: "webhook.redeliver",
        entity: "webhook",
        key: webhookId,
        before: { delivery: id, status: delivery.status },
        after: { delivery: id, status: "pending" },
        reason: input.reason,
        directive: input.directive,
      },
      result: deliveryView({ ...next, type }),
      dueAt: now,
    };
  });
}
