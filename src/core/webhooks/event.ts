/**
 * Webhook events: the body every endpoint receives, `{type, timestamp, data}`,
 * where `data` says which change of which tenant it is about, who made it and
 * why, and names the audit entry that records it.
 */
import { randomAlphanumeric, sha256Hex } from "../crypto.js";
import type { WebhookEventType } from "../schemas/webhook.js";

/** What every event's `data` carries; null where the event has no such part (an audit check has no flag). */
export interface EventData {
  tenant: string;
  env: string | null;
  version: number | null;
  /** The flag changed; null for a segment's change (then `entity` and `key` name it) and for audit events. */
  flag: string | null;
  entity: string | null;
  key: string | null;
  /** The audit action (`flag.kill`, `flag.block`, `schedule.skip` …). */
  action: string;
  actor: { keyId: string | null; name: string; role: string };
  reason: string | null;
  directive: string | null;
  /** The audit entry of the change: a checkpoint of the tenant's chain. */
  audit: { seq: number; hash: string } | null;
  [extra: string]: unknown;
}

export interface QueuedEvent {
  /** The `webhook-id` header: unique per event, the same on every attempt. */
  id: string;
  type: WebhookEventType;
  data: EventData;
}

/** A fresh event id. */
export const newEventId = (): string => `msg_${randomAlphanumeric(24)}`;

/**
 * The id of an event that several processes or runs may each try to queue
 * (a receipt's outcome, an audit check's finding): the same parts give the
 * same id, and the outbox keeps it once.
 */
export async function derivedEventId(parts: readonly (string | number)[]): Promise<string> {
  return `msg_${(await sha256Hex(JSON.stringify(parts))).slice(0, 32)}`;
}

/** The exact body signed and sent, on every attempt. */
export function eventBody(type: WebhookEventType, at: number, data: EventData): string {
  return JSON.stringify({ type, timestamp: new Date(at).toISOString(), data });
}
