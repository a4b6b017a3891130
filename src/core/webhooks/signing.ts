/**
 * Standard Webhooks signing (https://www.standardwebhooks.com/): the secret is
 * `whsec_` and base64 key bytes; a delivery carries `webhook-id`,
 * `webhook-timestamp` (seconds) and `webhook-signature`, a space-separated list
 * of `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per valid secret.
 * WebCrypto only, so both hosts sign with the same code.
 */
import { randomBytes } from "../crypto.js";

export const SECRET_PREFIX = "whsec_";

/** Key bytes per secret: 32, as HMAC-SHA256's block wants no less. */
const SECRET_BYTES = 32;

const encoder = new TextEncoder();

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** A new secret, shown to the caller once. */
export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${toBase64(randomBytes(SECRET_BYTES))}`;
}

/** The signature of one message with one secret: `v1,<base64>`. */
export async function signMessage(secret: string, id: string, timestampSeconds: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    fromBase64(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`${id}.${timestampSeconds}.${body}`));
  return `v1,${toBase64(new Uint8Array(mac))}`;
}

/** The three headers of a delivery, signed with every secret given (the current one first). */
export async function signedHeaders(
  secrets: readonly string[],
  id: string,
  timestampSeconds: number,
  body: string,
): Promise<Record<string, string>> {
  const signatures = await Promise.all(secrets.map((secret) => signMessage(secret, id, timestampSeconds, body)));
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": signatures.join(" "),
  };
}
