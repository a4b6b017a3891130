/**
 * The webhook outbox: events queued in the database, and the deliveries of each
 * to every endpoint subscribed to it.
 *
 * A change's events are queued by the commit that makes the change (mutation.ts
 * adds these statements to its batch), so no change is committed without them
 * and none is announced that was not committed; a tenant without webhooks pays
 * one indexed read per write. Deliveries are claimed before they are sent
 * (`claim_token`, `claimed_until`): with several Node processes on one database,
 * one sends each attempt, and an attempt whose process died is taken over once
 * its claim has lapsed.
 */
import { and, asc, eq, notInArray, sql } from "drizzle-orm";
import { randomAlphanumeric } from "../crypto.js";
import type { Statement } from "../db/executor.js";
import { receiptWatches, webhookDeliveries, webhookEvents, webhooks } from "../db/schema.js";
import type { DeliveryAttempt, WebhookEventType } from "../schemas/webhook.js";
import { eventBody, type QueuedEvent } from "../webhooks/event.js";
import { claimDue, type DueRows } from "./claim-due.js";
import type { StoreContext } from "./context.js";

/** The first look at a change's receipt, for `change.complete`: most fleets ack within a second. */
export const FIRST_RECEIPT_CHECK_MS = 1_000;

/** Attempts kept per delivery (the oldest are dropped): enough to see a pattern, bounded. */
const KEPT_ATTEMPTS = 20;

const RECEIPT_EVENTS: readonly WebhookEventType[] = ["change.complete", "change.incomplete"];

export const newDeliveryId = (): string => `dlv_${randomAlphanumeric(20)}`;

/** A committed environment version, for receipt events. */
export interface ChangeRef {
  env: string;
  version: number;
}

/**
 * Statements that queue each event for every enabled endpoint subscribed to its
 * type, and a receipt watch for each change when an endpoint wants receipt
 * events; [] when no endpoint wants any of it. Events already queued (same id)
 * are kept once.
 */
export async function queueStatements(
  ctx: StoreContext,
  tenantId: string,
  now: number,
  events: readonly QueuedEvent[],
  changes: readonly ChangeRef[] = [],
): Promise<Statement[]> {
  if (events.length === 0 && changes.length === 0) return [];
  const hooks = await ctx.db
    .select({ id: webhooks.id, events: webhooks.events })
    .from(webhooks)
    .where(and(eq(webhooks.tenantId, tenantId), eq(webhooks.enabled, true)));
  if (hooks.length === 0) return [];
  const statements: Statement[] = [];
  for (const event of events) {
    const targets = hooks.filter((hook) => hook.events.includes(event.type));
    if (targets.length === 0) continue;
    statements.push(
      ctx.db
        .insert(webhookEvents)
        .values({ tenantId, id: event.id, type: event.type, payload: eventBody(event.type, now, event.data), createdAt: now })
        .onConflictDoNothing(),
    );
    // One row per statement: a Durable Object binds at most 100 parameters per statement.
    for (const target of targets) {
      statements.push(
        ctx.db
          .insert(webhookDeliveries)
          .values({
            tenantId,
            id: newDeliveryId(),
            webhookId: target.id,
            eventId: event.id,
            status: "pending",
            attemptCount: 0,
            attempts: [],
            nextAt: now,
            createdAt: now,
          })
          .onConflictDoNothing(),
      );
    }
  }
  if (changes.length > 0 && hooks.some((hook) => hook.events.some((type) => RECEIPT_EVENTS.includes(type)))) {
    for (const change of changes) {
      statements.push(
        ctx.db
          .insert(receiptWatches)
          .values({ tenantId, env: change.env, version: change.version, committedAt: now, checkAt: now + FIRST_RECEIPT_CHECK_MS })
          .onConflictDoNothing(),
      );
    }
  }
  return statements;
}

/**
 * Queues events outside a mutation (a receipt's outcome, an audit check's
 * finding): bookkeeping, not a change, so not audited. Tells the host when
 * something became due.
 */
export async function queueEvents(ctx: StoreContext, tenantId: string, events: readonly QueuedEvent[]): Promise<void> {
  const now = ctx.clock();
  const statements = await queueStatements(ctx, tenantId, now, events);
  if (statements.length === 0) return;
  await ctx.executor.commit(statements);
  ctx.onDue(now);
}

/** A claimed delivery, with what sending it needs. */
export interface ClaimedDelivery {
  tenantId: string;
  id: string;
  webhookId: string;
  eventId: string;
  type: WebhookEventType;
  payload: string;
  url: string;
  /** The current secret, and the previous one while it still signs. */
  secrets: string[];
  attemptCount: number;
  attempts: DeliveryAttempt[];
  claimToken: string;
}

/**
 * Claims up to `limit` due deliveries (pending, their time come, their
 * endpoint enabled), oldest first, at most `perEndpoint` of one endpoint, for
 * `leaseMs`, skipping endpoints in `busy` (those this process already sends its
 * share to).
 */
export async function claimDeliveries(
  ctx: StoreContext,
  now: number,
  limit: number,
  leaseMs: number,
  busy: readonly string[] = [],
  perEndpoint = limit,
): Promise<ClaimedDelivery[]> {
  const due: DueRows<typeof webhookDeliveries> = {
    table: webhookDeliveries,
    due: (d) =>
      and(
        sql`${d.status} = 'pending' and ${d.nextAt} <= ${now}`,
        sql`exists (select 1 from webhooks w where w.tenant_id = ${d.tenantId} and w.id = ${d.webhookId} and w.enabled = 1)`,
        busy.length === 0 ? undefined : notInArray(d.webhookId, [...busy]),
      )!,
    order: (d) => d.nextAt,
    perGroup: { by: (d) => [d.tenantId, d.webhookId], max: perEndpoint },
  };
  const token = await claimDue(ctx, due, now, limit, leaseMs);
  const rows = await ctx.db
    .select({
      tenantId: webhookDeliveries.tenantId,
      id: webhookDeliveries.id,
      webhookId: webhookDeliveries.webhookId,
      eventId: webhookDeliveries.eventId,
      type: webhookEvents.type,
      payload: webhookEvents.payload,
      url: webhooks.url,
      secret: webhooks.secret,
      previousSecret: webhooks.previousSecret,
      previousSecretUntil: webhooks.previousSecretUntil,
      attemptCount: webhookDeliveries.attemptCount,
      attempts: webhookDeliveries.attempts,
    })
    .from(webhookDeliveries)
    .innerJoin(webhookEvents, and(eq(webhookEvents.tenantId, webhookDeliveries.tenantId), eq(webhookEvents.id, webhookDeliveries.eventId)))
    .innerJoin(webhooks, and(eq(webhooks.tenantId, webhookDeliveries.tenantId), eq(webhooks.id, webhookDeliveries.webhookId)))
    .where(eq(webhookDeliveries.claimToken, token))
    .orderBy(asc(webhookDeliveries.nextAt));
  return rows.map(({ secret, previousSecret, previousSecretUntil, ...row }) => ({
    ...row,
    secrets: previousSecret !== null && (previousSecretUntil ?? 0) > now ? [secret, previousSecret] : [secret],
    claimToken: token,
  }));
}

/** Gives claimed deliveries back unsent (this process had no room for them): due again at once. */
export async function releaseDeliveries(ctx: StoreContext, claimed: readonly ClaimedDelivery[]): Promise<void> {
  if (claimed.length === 0) return;
  await ctx.executor.commit(
    claimed.map((delivery) =>
      ctx.db
        .update(webhookDeliveries)
        .set({ claimToken: null, claimedUntil: null })
        .where(
          and(
            eq(webhookDeliveries.tenantId, delivery.tenantId),
            eq(webhookDeliveries.id, delivery.id),
            eq(webhookDeliveries.claimToken, delivery.claimToken),
          ),
        ),
    ),
  );
}

/** The outcome of one attempt, and what follows from it. */
export interface AttemptOutcome {
  attempt: DeliveryAttempt;
  /** `pending` with `nextAt` for a retry. */
  status: "pending" | "delivered" | "failed";
  nextAt: number | null;
}

/**
 * Records attempts, in one commit, and releases their claims; an attempt whose
 * claim was lost meanwhile (another process took the delivery over after it
 * lapsed) changes nothing.
 */
export async function recordAttempts(ctx: StoreContext, records: readonly { claimed: ClaimedDelivery; outcome: AttemptOutcome }[]): Promise<void> {
  if (records.length === 0) return;
  await ctx.executor.commit(
    records.map(({ claimed, outcome }) =>
      ctx.db
        .update(webhookDeliveries)
        .set({
          status: outcome.status,
          attemptCount: claimed.attemptCount + 1,
          attempts: [...claimed.attempts, outcome.attempt].slice(-KEPT_ATTEMPTS),
          nextAt: outcome.nextAt,
          deliveredAt: outcome.status === "delivered" ? outcome.attempt.at : null,
          claimToken: null,
          claimedUntil: null,
        })
        .where(
          and(
            eq(webhookDeliveries.tenantId, claimed.tenantId),
            eq(webhookDeliveries.id, claimed.id),
            eq(webhookDeliveries.claimToken, claimed.claimToken),
          ),
        ),
    ),
  );
  const next = Math.min(...records.map(({ outcome }) => outcome.nextAt ?? Infinity));
  if (next !== Infinity) ctx.onDue(next);
}

/** When the next delivery falls due (its retry time, or its claim's end), or null when none is pending. */
export async function nextDeliveryAt(ctx: StoreContext): Promise<number | null> {
  const row = await ctx.db.get<{ next: number | null }>(sql`
    select min(max(d.next_at, coalesce(d.claimed_until, 0))) as next from webhook_deliveries d
    where d.status = 'pending'
    and exists (select 1 from webhooks w where w.tenant_id = d.tenant_id and w.id = d.webhook_id and w.enabled = 1)`);
  return row?.next == null ? null : Number(row.next);
}
