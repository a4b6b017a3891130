/**
 * How a host sends one delivery. The Node host connects with node:http(s) to an
 * address it checked after resolving the name; the Worker uses `fetch`.
 */
import type { UrlPolicy } from "./url-policy.js";

/** A receiver has this long to answer; then the attempt counts as failed. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** How much of an answer is kept for the delivery log. */
export const RESPONSE_PREFIX_BYTES = 1024;

export interface DeliveryRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  policy: UrlPolicy;
  /** Aborted when the host stops. */
  signal?: AbortSignal;
}

export type DeliveryResult =
  | { status: number; latencyMs: number; response: string }
  | { status: null; latencyMs: number; error: string };

export interface WebhookTransport {
  /** Never rejects: a network error, a timeout or a refused address is a result with `error`. */
  send(request: DeliveryRequest): Promise<DeliveryResult>;
}

/** The first bytes of a text, cut on a character boundary. */
export function prefixOf(bytes: Uint8Array): string {
  return new TextDecoder("utf-8", { fatal: false, ignoreBOM: false }).decode(bytes.subarray(0, RESPONSE_PREFIX_BYTES)).replace(/\uFFFD+$/, "");
}
