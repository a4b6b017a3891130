/**
 * An independent verifier of what the service signs (docs/signing.md), with
 * node:crypto rather than the SDK's WebCrypto code: a signed text opens with its
 * unsigned members — `serverTime` on stream snapshots and announcements, then `sig`
 * — and the payload is the rest, after the first `}`, with the comma there made `{`.
 */
import { createHash, createPublicKey, verify, type KeyObject } from "node:crypto";

/** RFC 8410: the SPKI DER of an Ed25519 key is this prefix and the 32 raw bytes. */
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

export const publicKeyOf = (raw: string): KeyObject =>
  createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(raw, "base64url")]), format: "der", type: "spki" });

export interface OpenedText {
  /** The payload's exact text, as signed. */
  payloadText: string;
  // The payload is any JSON object; the tests read its fields one by one.
  payload: any;
  sig: Record<string, string>;
  serverTime?: number;
}

export function openSigned(text: string): OpenedText {
  const end = text.indexOf("}");
  if (!text.startsWith("{") || text[end + 1] !== ",") throw new Error(`not a signed text: ${text.slice(0, 80)}`);
  const head = JSON.parse(`${text.slice(0, end + 1)}}`) as { sig: Record<string, string>; serverTime?: number };
  const payloadText = `{${text.slice(end + 2)}`;
  return { payloadText, payload: JSON.parse(payloadText), sig: head.sig, serverTime: head.serverTime };
}

/** Whether `key` (raw base64url) signed `bytes`. */
export const verifies = (bytes: Buffer | string, key: string, signature: string | undefined): boolean =>
  signature !== undefined && verify(null, Buffer.from(bytes), publicKeyOf(key), Buffer.from(signature, "base64url"));

/** Whether `key` signed the payload of a signed text. */
export function signedBy(text: string, key: string): boolean {
  const { payloadText, sig } = openSigned(text);
  return verifies(payloadText, key, sig[key]);
}

/** A signed OFREP answer's parts: the signed line's fields and each key's signature. */
export function ofrepSignature(signed: string, signature: string): { fields: Record<string, string>; format: string; sigs: Record<string, string> } {
  const [format, ...rest] = signed.split("; ");
  const fields = Object.fromEntries(rest.map((f) => [f.slice(0, f.indexOf("=")), f.slice(f.indexOf("=") + 1)]));
  const sigs = Object.fromEntries(signature.split(", ").map((s) => [s.slice(0, s.indexOf("=")), s.slice(s.indexOf("=") + 1)]));
  return { format: format!, fields, sigs };
}

export const sha256Base64url = (text: string): string => createHash("sha256").update(text).digest("base64url");
