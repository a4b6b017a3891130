/**
 * `GET|POST /console/sign-in`: the key is exchanged for a session. Shared by the
 * app and by the Worker's router, which answers what it can without a tenant
 * (the form, a key that names no tenant) and forwards the rest to the tenant's
 * object, where these same checks run again before the key is checked.
 */
import type { Context, Hono } from "hono";
import { base64url, constantTimeEqual, randomBytes } from "../../core/crypto.js";
import { clearSignInCookie, readSignInCookie, setSignInCookie } from "./cookies.js";
import { SignInPage } from "./pages/sign-in.js";
import type { SignInLimiter } from "./sign-in-limiter.js";

export const UNKNOWN_KEY = "The key is malformed, unknown or revoked.";

/** Why a sign-in failed, as the page says it; counted against the client's address. */
export interface SignInFailure {
  failure: string;
  status: 401 | 403;
}

export interface SignInDeps {
  limiter: SignInLimiter;
  /** Who is signing in, for the limiter: the client's address as the host knows it. */
  clientAddress: (c: Context) => string;
  /** Checks the key and opens the session (a redirect), or says why not. */
  open: (key: string, next: string, c: Context) => Promise<Response | SignInFailure>;
}

/** A /console path to return to after signing in; anything else goes to the overview. */
export function safeNext(value: unknown): string {
  return typeof value === "string" && /^\/console(\/[A-Za-z0-9._~%/-]*)?(\?[A-Za-z0-9._~%=&-]*)?$/.test(value) && !value.includes("//")
    ? value
    : "/console";
}

async function renderForm(c: Context, status: 200 | 401 | 403 | 429, extra: { error?: string; notice?: string; next?: string }) {
  const token = base64url(randomBytes(24));
  setSignInCookie(c, token);
  const next = extra.next && extra.next !== "/console" ? extra.next : undefined;
  return c.html(SignInPage({ token, next, error: extra.error, notice: extra.notice }), status);
}

export function signInRoutes(app: Hono, deps: SignInDeps): void {
  app.get("/console/sign-in", (c) => {
    const notice = c.req.query("signed-out") !== undefined ? "You are signed out." : undefined;
    return renderForm(c, 200, { notice, next: safeNext(c.req.query("next")) });
  });

  app.post("/console/sign-in", async (c) => {
    // All values: a field sent twice is an array, never a string, and counts as absent.
    const form = await c.req.parseBody({ all: true });
    const next = safeNext(form.next);
    const cookie = readSignInCookie(c);
    if (typeof form.csrf !== "string" || cookie === undefined || !constantTimeEqual(form.csrf, cookie)) {
      return renderForm(c, 403, { error: "The form had expired. Enter the key again.", next });
    }
    const address = deps.clientAddress(c);
    const wait = deps.limiter.retryAfter(address);
    if (wait > 0) {
      c.header("Retry-After", String(wait));
      return renderForm(c, 429, { error: `Too many failed sign-ins. Try again in ${Math.ceil(wait / 60)} min.`, next });
    }
    const key = typeof form.key === "string" ? form.key.trim() : "";
    const opened = await deps.open(key, next, c);
    if (opened instanceof Response) return opened;
    deps.limiter.failed(address);
    return renderForm(c, opened.status, { error: opened.failure, next });
  });
}

export { clearSignInCookie };
