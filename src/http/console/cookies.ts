/**
 * The console's two cookies, both HttpOnly and SameSite=Strict, scoped to
 * /console, and Secure (with the `__Host-` name prefix) when served over HTTPS:
 * - the session: `<tenant id>.<secret>`, an opaque id (the key never leaves the server);
 * - the sign-in form's token, compared with the form's copy (a double-submit
 *   token: the sign-in form has no session to hold one).
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";

const SESSION = "ks_session";
const SIGN_IN = "ks_sign_in";
const PATH = "/console";

/**
 * HTTPS as the browser sees it: the request's own scheme, or a TLS-terminating
 * proxy's `X-Forwarded-Proto`. Trusting the header can only add `Secure`.
 */
export function servedOverHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto")?.split(",")[0]?.trim() === "https";
}

const nameOf = (c: Context, name: string) => (servedOverHttps(c) ? `__Host-${name}` : name);

function options(c: Context, maxAge?: number) {
  const secure = servedOverHttps(c);
  // `__Host-` cookies must have Path=/ and no Domain.
  return { httpOnly: true, sameSite: "Strict" as const, secure, path: secure ? "/" : PATH, ...(maxAge ? { maxAge } : {}) };
}

export const readSessionCookie = (c: Context): string | undefined => getCookie(c, nameOf(c, SESSION));
/** A session cookie lives as long as the browser; the server ends idle sessions. */
export const setSessionCookie = (c: Context, id: string): void => setCookie(c, nameOf(c, SESSION), id, options(c));
export const clearSessionCookie = (c: Context): void => void deleteCookie(c, nameOf(c, SESSION), options(c));

export const readSignInCookie = (c: Context): string | undefined => getCookie(c, nameOf(c, SIGN_IN));
export const setSignInCookie = (c: Context, token: string): void => setCookie(c, nameOf(c, SIGN_IN), token, options(c, 3600));
export const clearSignInCookie = (c: Context): void => void deleteCookie(c, nameOf(c, SIGN_IN), options(c));

/** The raw `Cookie` header's session id, for a host that routes before any app runs (the Worker). */
export function sessionIdOfCookieHeader(header: string | null, https: boolean): string | undefined {
  if (header === null) return undefined;
  const name = https ? `__Host-${SESSION}` : SESSION;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
