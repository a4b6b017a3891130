/**
 * What the Worker answers on OFREP's routes itself, before any tenant's
 * object: refusals in OFREP's error shape `{key?, errorCode, errorDetails}`,
 * with the shared route's statuses, headers and wording
 * (src/http/routes/ofrep.ts), so that a client cannot tell the hosts apart.
 */
import { OFREP_PATH } from "../http/routes/ofrep.js";

/** The two OFREP routes; anything else under /ofrep/ is a 404 on both hosts. */
const OFREP_ROUTE = new RegExp(`^${OFREP_PATH}(?:/([^/]+))?$`);

export interface OfrepRoute {
  /** The flag key of the single-flag route; undefined on the bulk route. */
  flagKey: string | undefined;
}

export function ofrepRoute(method: string, pathname: string): OfrepRoute | null {
  const match = method === "POST" ? OFREP_ROUTE.exec(pathname) : null;
  if (match === null) return null;
  const raw = match[1];
  return { flagKey: raw === undefined ? undefined : decodeSegment(raw) };
}

export const OFREP_NO_KEY = "Send an sdk key as Authorization: Bearer <key> or X-API-Key: <key>.";
export const OFREP_UNKNOWN_KEY = "The key is malformed, unknown or revoked.";
export const OFREP_ROOT_TOKEN = "The root token may only create tenants; OFREP takes an sdk key.";

export function ofrepRefusal(route: OfrepRoute, status: 401 | 403, detail: string): Response {
  const body = { ...(route.flagKey === undefined ? {} : { key: route.flagKey }), errorCode: "GENERAL", errorDetails: detail };
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (status === 401) headers["www-authenticate"] = 'Bearer realm="killswitch"';
  return new Response(JSON.stringify(body), { status, headers });
}

/** As Hono decodes a path parameter: percent-decoded, or left as sent when that fails. */
function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
