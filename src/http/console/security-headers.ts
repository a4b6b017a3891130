/**
 * The console's response headers: a CSP that admits only the console's own
 * script and stylesheet (no inline script or style), no framing, no referrer,
 * and nothing cached: a page shows who is blocked and carries a form token.
 */
import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";

/**
 * The policy; `styleHashes` admits inline styles by their digest
 * (`sha256-…`), for a page the API renders itself (the directive report).
 */
export function consoleCsp(styleHashes: string[] = []): string {
  const styles = ["'self'", ...styleHashes.map((hash) => `'${hash}'`)].join(" ");
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src ${styles}`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join("; ");
}

export function consoleHeaders(): MiddlewareHandler {
  const headers = secureHeaders({
    xFrameOptions: "DENY",
    referrerPolicy: "no-referrer",
    crossOriginResourcePolicy: "same-origin",
  });
  return async (c, next) => {
    await headers(c, next);
    // A handler may have set its own (a stricter one, or one with a style's digest).
    if (!c.res.headers.has("content-security-policy")) c.header("Content-Security-Policy", consoleCsp());
    if (!c.res.headers.has("cache-control")) c.header("Cache-Control", "no-store");
  };
}
