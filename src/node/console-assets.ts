/**
 * The Node host's share of the console: its static files (the stylesheet and
 * the script, served from src/http/console/assets/ as they are) and the client's
 * address for the sign-in limiter. The Worker serves the same files through
 * its assets binding (src/worker/console-edge.ts).
 */
import { fileURLToPath } from "node:url";
import { getConnInfo } from "@hono/node-server/conninfo";
import { serveStatic } from "@hono/node-server/serve-static";
import type { Context, MiddlewareHandler } from "hono";

const ROOT = fileURLToPath(new URL("../http/console/assets/", import.meta.url));
const PREFIX = "/console/assets";

export function consoleAssets(): MiddlewareHandler {
  const serve = serveStatic({ root: ROOT, rewriteRequestPath: (path) => path.slice(PREFIX.length) });
  return async (c, next) => {
    // Only the browser's files: not the folder's type-check config, nor anything else.
    if (!/^\/console\/assets\/[a-z-]+\.(css|js)$/.test(c.req.path)) return next();
    c.header("Cache-Control", "no-cache");
    return serve(c, next);
  };
}

/** The socket's peer; undefined for a request the app made to itself (no socket). */
export function nodeClientAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}
