/**
 * Every write's answer carries the audit chain's new head, so that copies of
 * it exist outside the database: an auditor who keeps one can later prove that
 * the log still holds that entry (`GET /v1/audit/verify?seq=&hash=`), which a
 * truncated or rewritten log cannot.
 *
 * Done once, here, for every route: the store tells the request's actor which
 * entry its commit appended (auth.ts, `actorOf`), and a successful answer then
 * gets it as the headers `Killswitch-Audit-Seq` and `Killswitch-Audit-Hash`,
 * and, when its body is a JSON object, as the field `audit: {seq, hash}`.
 * A 204 has the headers only.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env.js";

export const AUDIT_SEQ_HEADER = "Killswitch-Audit-Seq";
export const AUDIT_HASH_HEADER = "Killswitch-Audit-Hash";

export function auditCheckpoint(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const sealed = c.get("sealed");
    if (sealed === undefined || c.res.status < 200 || c.res.status >= 300) return;
    const audit = { seq: sealed.seq, hash: sealed.hash };
    if (/^application\/json\b/.test(c.res.headers.get("content-type") ?? "")) {
      const body: unknown = await c.res.clone().json();
      if (body !== null && typeof body === "object" && !Array.isArray(body)) {
        // Writes are rare: parsing the answer again costs less than a second path through every route.
        c.res = new Response(JSON.stringify({ ...body, audit }), c.res);
      }
    }
    c.res.headers.set(AUDIT_SEQ_HEADER, String(audit.seq));
    c.res.headers.set(AUDIT_HASH_HEADER, audit.hash);
  };
}
