/**
 * Ed25519 over WebCrypto (`crypto.subtle`), which Node 20 and workerd both
 * provide: an environment's key pair, and the detached signatures of what SDKs
 * receive. Keys travel and are stored in base64url (RFC 4648 §5, no padding): the
 * public key as its raw 32 bytes (RFC 8410's form for `importKey("raw")`), the
 * private key as PKCS #8, which is the only form WebCrypto exports it in.
 */
import { base64url, fromBase64url } from "../crypto.js";

const ED25519 = "Ed25519";

/** A new key pair, both halves in base64url: `publicKey` raw (43 characters), `privateKey` PKCS #8. */
export interface SigningKeyPair {
  publicKey: string;
  privateKey: string;
}

export async function generateSigningKeyPair(): Promise<SigningKeyPair> {
  const pair = (await crypto.subtle.generateKey(ED25519, true, ["sign", "verify"])) as CryptoKeyPair;
  const [raw, pkcs8] = await Promise.all([
    crypto.subtle.exportKey("raw", pair.publicKey) as Promise<ArrayBuffer>,
    crypto.subtle.exportKey("pkcs8", pair.privateKey) as Promise<ArrayBuffer>,
  ]);
  return { publicKey: base64url(new Uint8Array(raw)), privateKey: base64url(new Uint8Array(pkcs8)) };
}

/** A stored private key, usable to sign only and not extractable again. */
export function importPrivateKey(pkcs8: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("pkcs8", fromBase64url(pkcs8), ED25519, false, ["sign"]);
}

/** A public key in the form `GET …/signing-key` answers it. */
export function importPublicKey(raw: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", fromBase64url(raw), ED25519, false, ["verify"]);
}

/** The 64-byte signature of `bytes`, in base64url (86 characters). */
// TextEncoder's bytes are typed over ArrayBufferLike by some runtimes' types (workerd's); they never share memory.
export async function signBytes(key: CryptoKey, bytes: Uint8Array): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.sign(ED25519, key, bytes as Uint8Array<ArrayBuffer>)));
}

export async function verifyBytes(key: CryptoKey, signature: string, bytes: Uint8Array): Promise<boolean> {
  return crypto.subtle.verify(ED25519, key, fromBase64url(signature), bytes as Uint8Array<ArrayBuffer>);
}
