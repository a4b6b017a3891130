/**
 * Sends a webhook delivery from Node with node:http(s), connecting to an
 * address it has checked: the name is resolved by the connection's own
 * `lookup`, which refuses any address the URL rules forbid
 * (src/core/webhooks/url-policy.ts). So a name that resolved to a public
 * address when the webhook was registered and resolves to 127.0.0.1 or the
 * metadata service now (DNS rebinding) is refused at the moment it would be
 * called, with no gap between the check and the connection. Redirects are not
 * followed (a 3xx is an answer that is no success).
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { addressRefusal, type UrlPolicy } from "../../core/webhooks/url-policy.js";
import { prefixOf, RESPONSE_PREFIX_BYTES, type DeliveryRequest, type DeliveryResult, type WebhookTransport } from "../../core/webhooks/transport.js";

/** A lookup that answers only the addresses the policy allows, and fails when none is left. */
export function guardedLookup(policy: UrlPolicy): LookupFunction {
  return ((hostname: string, options: LookupOptions, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error);
      const allowed = addresses.filter((a) => addressRefusal(a.address, policy) === null);
      if (allowed.length === 0) {
        const refusal = addresses.length > 0 ? addressRefusal(addresses[0]!.address, policy) : "no address";
        return callback(Object.assign(new Error(`refused: ${hostname} resolves to ${refusal}`), { code: "EREFUSED_ADDRESS" }));
      }
      if (options.all) return callback(null, allowed);
      return callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  }) as LookupFunction;
}

export const nodeTransport: WebhookTransport = {
  send(delivery: DeliveryRequest): Promise<DeliveryResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    return new Promise<DeliveryResult>((resolve) => {
      let settled = false;
      const finish = (result: DeliveryResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        delivery.signal?.removeEventListener("abort", onAbort);
        resolve(result);
      };
      const url = new URL(delivery.url);
      const send = url.protocol === "https:" ? httpsRequest : httpRequest;
      const req = send(url, {
        method: "POST",
        headers: { ...delivery.headers, "content-length": Buffer.byteLength(delivery.body) },
        lookup: guardedLookup(delivery.policy),
        // No pooled sockets: each delivery resolves and checks its address anew.
        agent: false,
      });
      const timer = setTimeout(() => {
        req.destroy();
        finish({ status: null, latencyMs: elapsed(), error: `no answer within ${delivery.timeoutMs / 1000} s` });
      }, delivery.timeoutMs);
      const onAbort = () => {
        req.destroy();
        finish({ status: null, latencyMs: elapsed(), error: "aborted: the server is stopping" });
      };
      delivery.signal?.addEventListener("abort", onAbort, { once: true });
      req.on("error", (error: Error) => finish({ status: null, latencyMs: elapsed(), error: error.message }));
      req.on("response", (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          res.destroy();
          finish({ status: res.statusCode ?? 0, latencyMs: elapsed(), response: prefixOf(Buffer.concat(chunks)) });
        };
        res.on("data", (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          // The first bytes are all the log keeps: a large answer is not read further.
          if (size >= RESPONSE_PREFIX_BYTES) done();
        });
        res.on("end", done);
        res.on("error", done);
      });
      req.end(delivery.body);
    });
  },
};
