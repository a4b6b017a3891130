/**
 * Whether `token` is the root token (`KILLSWITCH_ROOT_TOKEN`), which may only
 * create tenants. Unset: nothing is.
 */
export async function isRootToken(token: string | null, rootToken: string | undefined): Promise<boolean> {
  if (!rootToken || token === null) return false;
  // Fixed-length digests: the comparison takes the same time whatever the token's length.
  const encoder = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(token)),
    crypto.subtle.digest("SHA-256", encoder.encode(rootToken)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/** The token of `Authorization: Bearer <token>`: the only place /v1 reads the root token, as the shared app does. */
export function bearerOf(request: Request): string | null {
  return /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(request.headers.get("authorization") ?? "")?.[1] ?? null;
}
