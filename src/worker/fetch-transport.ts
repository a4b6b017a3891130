/**
 * Sends a webhook delivery from a Durable Object with `fetch`. The URL rules
 * (src/core/webhooks/url-policy.ts) are checked on the URL itself by the
 * dispatcher; a hostname is resolved by the platform, which does not expose
 * the address: on Cloudflare, Workers cannot reach private networks anyway.
 * Redirects are not followed.
 */
import { prefixOf, RESPONSE_PREFIX_BYTES, type DeliveryRequest, type DeliveryResult, type WebhookTransport } from "../core/webhooks/transport.js";

export const fetchTransport: WebhookTransport = {
  async send(delivery: DeliveryRequest): Promise<DeliveryResult> {
    const started = Date.now();
    const timeout = AbortSignal.timeout(delivery.timeoutMs);
    const signal = delivery.signal ? AbortSignal.any([timeout, delivery.signal]) : timeout;
    try {
      const response = await fetch(delivery.url, { method: "POST", headers: delivery.headers, body: delivery.body, redirect: "manual", signal });
      const bytes = await firstBytes(response);
      return { status: response.status, latencyMs: Date.now() - started, response: prefixOf(bytes) };
    } catch (error) {
      const message = timeout.aborted ? `no answer within ${delivery.timeoutMs / 1000} s` : error instanceof Error ? error.message : String(error);
      return { status: null, latencyMs: Date.now() - started, error: message };
    }
  },
};

/** Reads no more of the answer than the log keeps. */
async function firstBytes(response: Response): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < RESPONSE_PREFIX_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
