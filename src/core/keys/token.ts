/**
 * API key tokens: `ks_<tenantId>_<secret>`. The tenant id is 10 characters of
 * [a-z0-9]; the secret is 32 random bytes in base64url, which may itself contain
 * `_` or `-`, so a token is split by position, never by `_`.
 */
import { base64url, randomAlphanumeric, randomBytes, sha256Hex } from "../crypto.js";

export const TENANT_ID_PATTERN = /^[a-z0-9]{10}$/;
const TOKEN_PATTERN = /^ks_([a-z0-9]{10})_([A-Za-z0-9_-]{43})$/;

/** Characters of the secret kept in clear to find the key's row. */
export const PREFIX_LENGTH = 8;

export interface ParsedToken {
  tenantId: string;
  secret: string;
  prefix: string;
}

export function parseToken(token: string): ParsedToken | null {
  const match = TOKEN_PATTERN.exec(token);
  if (!match) return null;
  const [, tenantId, secret] = match as unknown as [string, string, string];
  return { tenantId, secret, prefix: secret.slice(0, PREFIX_LENGTH) };
}

export interface IssuedSecret {
  token: string;
  prefix: string;
  secretHash: string;
}

/** A new secret for a tenant: the whole bearer token (shown once) and what is stored. */
export async function issueSecret(tenantId: string): Promise<IssuedSecret> {
  const secret = base64url(randomBytes(32));
  return {
    token: `ks_${tenantId}_${secret}`,
    prefix: secret.slice(0, PREFIX_LENGTH),
    secretHash: await hashSecret(secret),
  };
}

export const hashSecret = (secret: string): Promise<string> => sha256Hex(secret);

export const newTenantId = (): string => randomAlphanumeric(10);
export const newKeyId = (): string => `key_${randomAlphanumeric(12)}`;

/** How a key's prefix is shown: the start of its token, enough to recognise it. */
export const displayPrefix = (tenantId: string, prefix: string): string => `ks_${tenantId}_${prefix}`;
