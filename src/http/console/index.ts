/**
 * The operator console at /console: server-rendered pages (hono/jsx) over the
 * same `/v1` API every client uses, called in process as the session's key
 * (api-client.ts). The same app serves it on both hosts; a host adds only its
 * static files (`assets`) and how it knows a client's address.
 *
 * Every page needs a session (sign-in.ts, cookies.ts); every POST needs the
 * session's form token; every answer carries the console's headers
 * (security-headers.ts). A viewer sees every page without a write action.
 */
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { roleAtLeast } from "../../core/keys/roles.js";
import { constantTimeEqual } from "../../core/crypto.js";
import type { Store } from "../../core/store/index.js";
import { errorToResponse } from "../problem-response.js";
import { ApiProblem, ConsoleApi, type Dispatch } from "./api-client.js";
import type { ConsoleApp, ConsoleEnv } from "./console-env.js";
import { clearSessionCookie, clearSignInCookie, readSessionCookie, setSessionCookie } from "./cookies.js";
import { ErrorPage } from "./pages/error.js";
import { flagRoutes } from "./routes/flag.js";
import { pageRoutes } from "./routes/pages.js";
import { consoleHeaders } from "./security-headers.js";
import { safeNext, signInRoutes, UNKNOWN_KEY } from "./sign-in.js";
import { SignInLimiter } from "./sign-in-limiter.js";

export interface ConsoleDeps {
  store: Store;
  /** The app's own `fetch`: the console's API calls. */
  dispatch: Dispatch;
  /** The client's address as the host knows it, for the sign-in limiter. */
  clientAddress?: ((c: Context) => string | undefined) | undefined;
  /** Serves `/console/assets/*` (the host's static files); absent where something in front serves them. */
  assets?: MiddlewareHandler | undefined;
  limiter?: SignInLimiter | undefined;
  onError?: ((error: unknown) => void) | undefined;
}

export const SDK_KEY_REFUSED = "An sdk key cannot sign in to the console: use an admin, operator or viewer key.";

/** The console's routes, mounted on the app. */
export function consoleApp(deps: ConsoleDeps): ConsoleApp {
  const { store } = deps;
  const app = new Hono<ConsoleEnv>();
  const report = deps.onError ?? ((error: unknown) => console.error("killswitch console:", error));

  app.onError(async (error, c) => {
    // The API's refusals and the console's own (a bad query) as a page; anything else as the app answers it.
    const problem =
      error instanceof ApiProblem ? error.problem : ((await errorToResponse(error, report).json()) as { status: number; detail: string });
    return c.html(ErrorPage({ viewer: c.get("viewer"), status: problem.status, detail: problem.detail }), problem.status as 400);
  });

  // "/console/*" matches /console too.
  app.use("/console/*", consoleHeaders());
  if (deps.assets) app.use("/console/assets/*", deps.assets);

  const clientAddress = (c: Context) => deps.clientAddress?.(c) ?? "unknown";
  signInRoutes(app as unknown as Hono, {
    limiter: deps.limiter ?? new SignInLimiter(),
    clientAddress,
    open: async (token, next, c) => {
      const key = await store.authenticate(token);
      if (key === null) return { failure: UNKNOWN_KEY, status: 401 };
      if (key.role === "sdk") return { failure: SDK_KEY_REFUSED, status: 403 };
      const session = await store.createSession(key);
      setSessionCookie(c, session.id);
      clearSignInCookie(c);
      return c.redirect(next, 303);
    },
  });

  const session: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
    if (c.req.path === "/console/sign-in" || c.req.path.startsWith("/console/assets/")) return next();
    const id = readSessionCookie(c);
    const found = id === undefined ? null : await store.findSession(id);
    if (found === null) {
      if (id !== undefined) clearSessionCookie(c);
      if (c.req.path.startsWith("/console/api/")) {
        return c.json({ type: "https://killswitch.dev/problems/unauthorized", title: "Unauthorized", status: 401, detail: "Sign in again." }, 401);
      }
      const next = c.req.method === "GET" ? safeNext(c.req.path + new URL(c.req.url).search) : "/console";
      return c.redirect(next === "/console" ? "/console/sign-in" : `/console/sign-in?next=${encodeURIComponent(next)}`, 303);
    }
    c.set("session", found);
    c.set("api", new ConsoleApi(deps.dispatch, found.key, new URL(c.req.url).origin));
    c.set("viewer", { name: found.key.name, role: found.key.role, csrfToken: found.csrfToken });
    c.set("canWrite", roleAtLeast(found.key.role, "operator"));
    if (c.req.method === "POST") {
      // All values: a token sent twice is an array, never a string, and is refused.
      const form = await c.req.parseBody({ all: true });
      if (typeof form.csrf !== "string" || !constantTimeEqual(form.csrf, found.csrfToken)) {
        return c.html(
          ErrorPage({ viewer: c.get("viewer"), status: 403, detail: "The form's security token is missing or stale: go back, reload the page and try again." }),
          403,
        );
      }
    }
    return next();
  };
  app.use("/console/*", session);

  app.post("/console/sign-out", async (c) => {
    await store.deleteSession(c.get("session").id);
    clearSessionCookie(c);
    return c.redirect("/console/sign-in?signed-out", 303);
  });

  // The live script's reads: any GET of the API, as the session's key (only GET: no state changes here).
  app.get("/console/api/v1/*", async (c) => {
    const url = new URL(c.req.url);
    const answer = await c.get("api").fetch(url.pathname.slice("/console/api".length) + url.search, {
      headers: { accept: c.req.header("accept") ?? "application/json", ...lastEventId(c) },
      signal: c.req.raw.signal,
    });
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  });

  pageRoutes(app);
  flagRoutes(app);

  app.all("/console/*", (c) => c.html(ErrorPage({ viewer: c.get("viewer"), status: 404, detail: `No page ${c.req.path}.` }), 404));
  return app;
}

function lastEventId(c: Context): Record<string, string> {
  const id = c.req.header("last-event-id");
  return id === undefined ? {} : { "last-event-id": id };
}
