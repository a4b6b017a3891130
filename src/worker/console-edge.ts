/**
 * The console's requests as the Worker routes them (src/http/console/ is the
 * console). Every page lives in the tenant's object, with the tenant's
 * sessions; the Worker answers only what needs no tenant, without waking one:
 * - the static files, from its assets binding;
 * - the sign-in form, and a sign-in whose key names no tenant (counted by the
 *   same limiter, per isolate, by the client's address);
 * - a page without a session cookie naming a known tenant: to the sign-in form.
 * The session cookie `<tenant id>.<secret>` says which object to ask; the
 * object checks the rest.
 */
import { Hono } from "hono";
import { parseToken } from "../core/keys/token.js";
import { parseSessionId } from "../core/store/console-sessions.js";
import { sessionIdOfCookieHeader } from "../http/console/cookies.js";
import { consoleHeaders } from "../http/console/security-headers.js";
import { safeNext, signInRoutes, UNKNOWN_KEY } from "../http/console/sign-in.js";
import { SignInLimiter } from "../http/console/sign-in-limiter.js";
import type { Env } from "./env.js";
import { forwardedRequest } from "./forwarding.js";
import { isKnownTenant } from "./tenant-registry.js";

const limiter = new SignInLimiter();
const ASSET = /^\/console\/assets\/([a-z-]+\.(?:css|js))$/;

/** A copy whose headers the edge app may still set (a stub's answer has immutable ones). */
const mutable = (response: Response) => new Response(response.body, response);

function edgeApp(env: Env, body: ArrayBuffer | null): Hono {
  const app = new Hono();
  app.use("/console/*", consoleHeaders());
  app.get("/console/assets/:name", async (c) => {
    const name = ASSET.exec(c.req.path)?.[1];
    if (name === undefined) return c.text("Not found", 404);
    const asset = mutable(await env.ASSETS.fetch(new Request(new URL(`/${name}`, c.req.url))));
    asset.headers.set("Cache-Control", "no-cache");
    return asset;
  });
  signInRoutes(app, {
    limiter,
    clientAddress: (c) => c.req.header("cf-connecting-ip") ?? "unknown",
    open: async (key, _next, c) => {
      // The key names its tenant; whether it is valid is the tenant's object's to say.
      const tenantId = parseToken(key)?.tenantId ?? null;
      if (tenantId === null || !(await isKnownTenant(env.TENANTS, tenantId))) return { failure: UNKNOWN_KEY, status: 401 };
      // The object checks the form token, its own limit and the key, and opens the session.
      return mutable(await env.TENANT.getByName(tenantId).fetch(forwardedRequest(c.req.raw, tenantId, body)));
    },
  });
  return app;
}

/** `body`: the request's body, already read (bounded) by the Worker. */
export async function routeConsole(request: Request, env: Env, body: ArrayBuffer | null): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === "/console/sign-in" || url.pathname.startsWith("/console/assets/")) {
    return edgeApp(env, body).fetch(new Request(request.url, { method: request.method, headers: request.headers, body: body?.slice(0) ?? null }));
  }
  const https = url.protocol === "https:" || request.headers.get("x-forwarded-proto") === "https";
  const session = parseSessionId(sessionIdOfCookieHeader(request.headers.get("cookie"), https) ?? "");
  if (session !== null && (await isKnownTenant(env.TENANTS, session.tenantId))) {
    return env.TENANT.getByName(session.tenantId).fetch(forwardedRequest(request, session.tenantId, body));
  }
  const next = request.method === "GET" ? safeNext(url.pathname + url.search) : "/console";
  const location = next === "/console" ? "/console/sign-in" : `/console/sign-in?next=${encodeURIComponent(next)}`;
  return new Response(null, { status: 303, headers: { location, "cache-control": "no-store" } });
}

