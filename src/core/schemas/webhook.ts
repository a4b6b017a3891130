/**
 * Webhook endpoints (Standard Webhooks), their deliveries, and the events they
 * subscribe to.
 */
import { z } from "zod";
import { auditFields, descriptionSchema } from "./common.js";
import { pageQuerySchema } from "./paging.js";

export const WEBHOOK_EVENT_TYPES = [
  "change.committed",
  "change.complete",
  "change.incomplete",
  "schedule.applied",
  "audit.verify_failed",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const DELIVERY_STATUSES = ["pending", "delivered", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One try to deliver an event, as kept with the delivery. */
export interface DeliveryAttempt {
  /** When it was sent, ms since the epoch. */
  at: number;
  /** The receiver's HTTP status; null when no answer came (refused, timed out, blocked). */
  status: number | null;
  latencyMs: number;
  /** The answer's first bytes (text), if any. */
  response: string | null;
  /** Why no answer counted: the network error, the timeout, a refused address. */
  error: string | null;
}

function isAbsoluteUrl(value: string): boolean {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/** The longest URL accepted. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;
/** Endpoints per tenant. */
export const MAX_WEBHOOKS = 50;

export const webhookUrlSchema = z
  .string()
  .max(MAX_WEBHOOK_URL_LENGTH)
  .refine(isAbsoluteUrl, { error: "must be an absolute URL, such as https://hooks.example.com/killswitch" })
  .meta({ description: "http(s) URL without credentials; not link-local or a metadata address; private and loopback only where the server allows them" });

const eventsSchema = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1, { error: "subscribe to at least one event" })
  .max(WEBHOOK_EVENT_TYPES.length)
  .refine((events) => new Set(events).size === events.length, { error: "lists an event twice" });

export const webhookCreateSchema = z.strictObject({
  url: webhookUrlSchema,
  events: eventsSchema,
  description: descriptionSchema.optional(),
  ...auditFields,
});

export const webhookPatchSchema = z
  .strictObject({
    url: webhookUrlSchema.optional(),
    events: eventsSchema.optional(),
    description: descriptionSchema.nullable().optional(),
    /** false pauses deliveries: events are not queued for it meanwhile. */
    enabled: z.boolean().optional(),
    ...auditFields,
  })
  .refine((patch) => patch.url !== undefined || patch.events !== undefined || patch.description !== undefined || patch.enabled !== undefined, {
    error: "change at least one of url, events, description, enabled",
  });

/** A day: a receiver has that long to take the new secret, while deliveries carry both signatures. */
export const DEFAULT_SECRET_GRACE_SECONDS = 86_400;

export const webhookRotateSchema = z.strictObject({
  /** How long the previous secret keeps signing beside the new one; 0 stops it at once (a leaked secret). */
  graceSeconds: z.number().int().min(0).max(7 * 86_400).default(DEFAULT_SECRET_GRACE_SECONDS),
  ...auditFields,
});

/** The optional body of a delete or a redelivery: why, for the audit log. */
export const webhookActionSchema = z.strictObject({ ...auditFields });

export const deliveryQuerySchema = pageQuerySchema.extend({
  status: z.enum(DELIVERY_STATUSES).optional().meta({ description: "Only deliveries in this state" }),
});

export type WebhookCreateInput = z.infer<typeof webhookCreateSchema>;
export type WebhookPatchInput = z.infer<typeof webhookPatchSchema>;
export type WebhookRotateInput = z.infer<typeof webhookRotateSchema>;
export type WebhookActionInput = z.infer<typeof webhookActionSchema>;
export type DeliveryQuery = z.infer<typeof deliveryQuerySchema>;

export const webhookSchema = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
  description: z.string().optional(),
  enabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Until then deliveries also carry a signature with the secret before the last rotation. */
  previousSecretUntil: z.string().optional(),
});
export type WebhookView = z.infer<typeof webhookSchema>;

/** `POST /v1/webhooks` and rotate-secret: the secret, shown once. */
export const webhookWithSecretSchema = webhookSchema.extend({
  secret: z.string().meta({ description: "whsec_ and the base64 key: shown once; verify deliveries with any Standard Webhooks library" }),
});

export const deliveryAttemptSchema = z.object({
  at: z.string(),
  status: z.number().int().nullable(),
  latencyMs: z.number(),
  response: z.string().nullable(),
  error: z.string().nullable(),
});

export const deliverySchema = z.object({
  id: z.string(),
  webhookId: z.string(),
  /** The `webhook-id` header: the same on every attempt and redelivery of the event. */
  eventId: z.string(),
  type: z.enum(WEBHOOK_EVENT_TYPES),
  status: z.enum(DELIVERY_STATUSES),
  attemptCount: z.number().int(),
  attempts: z.array(deliveryAttemptSchema),
  nextAttemptAt: z.string().optional(),
  createdAt: z.string(),
  deliveredAt: z.string().optional(),
});
export type DeliveryView = z.infer<typeof deliverySchema>;
