/**
 * The operator console's sessions (src/http/console/), kept in the tenant's
 * database so that every process on a shared database (Node) and the tenant's
 * object (Workers) see the same ones.
 *
 * The browser holds `<tenant id>.<secret>`; only sha256(secret) is stored, with
 * the key the session acts as (its id: never the key's secret) and the token
 * its forms carry. Reading a session also reads its key: a revoked key has no
 * session. Sessions are bookkeeping, as lastUsedAt is: not audited.
 */
import { and, eq, lt } from "drizzle-orm";
import { base64url, randomBytes } from "../crypto.js";
import { apiKeys, consoleSessions } from "../db/schema.js";
import type { Role } from "../keys/roles.js";
import { TENANT_ID_PATTERN } from "../keys/token.js";
import type { StoreContext } from "./context.js";
import type { AuthenticatedKey } from "./key-cache.js";

/** A session idle this long is over. */
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
/** `last_seen_at` is written at most this often per session. */
export const SESSION_TOUCH_MS = 60_000;

const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface ConsoleSession {
  /** The cookie's value: `<tenant id>.<secret>`. */
  id: string;
  key: AuthenticatedKey;
  csrfToken: string;
  lastSeenAt: number;
}

/** The tenant id and secret of a session id, or null when it is not shaped like one. */
export function parseSessionId(id: string): { tenantId: string; secret: string } | null {
  const dot = id.indexOf(".");
  const tenantId = id.slice(0, dot);
  const secret = id.slice(dot + 1);
  if (dot < 0 || !TENANT_ID_PATTERN.test(tenantId) || !SECRET_PATTERN.test(secret)) return null;
  return { tenantId, secret };
}

async function digest(ctx: StoreContext, secret: string): Promise<string> {
  const hash = ctx.sha256(secret);
  return typeof hash === "string" ? hash : await hash;
}

/** A new session for an authenticated key; sessions of the tenant idle past expiry are deleted on the way. */
export async function createSession(ctx: StoreContext, key: AuthenticatedKey): Promise<ConsoleSession> {
  const secret = base64url(randomBytes(32));
  const csrfToken = base64url(randomBytes(32));
  const now = ctx.clock();
  await ctx.executor.commit([
    ctx.db
      .delete(consoleSessions)
      .where(and(eq(consoleSessions.tenantId, key.tenantId), lt(consoleSessions.lastSeenAt, now - SESSION_IDLE_MS))),
    ctx.db.insert(consoleSessions).values({
      tenantId: key.tenantId,
      idHash: await digest(ctx, secret),
      keyId: key.keyId,
      csrfToken,
      createdAt: now,
      lastSeenAt: now,
    }),
  ]);
  return { id: `${key.tenantId}.${secret}`, key, csrfToken, lastSeenAt: now };
}

/**
 * The live session of a cookie's value: null when it is malformed, unknown,
 * signed out, idle for 12 h (then deleted) or its key is revoked. A session
 * seen more than a minute ago is marked seen now, best effort.
 */
export async function findSession(ctx: StoreContext, id: string): Promise<ConsoleSession | null> {
  const parsed = parseSessionId(id);
  if (parsed === null) return null;
  const idHash = await digest(ctx, parsed.secret);
  const [row] = await ctx.db
    .select({
      keyId: consoleSessions.keyId,
      csrfToken: consoleSessions.csrfToken,
      lastSeenAt: consoleSessions.lastSeenAt,
      name: apiKeys.name,
      role: apiKeys.role,
      env: apiKeys.env,
      revokedAt: apiKeys.revokedAt,
    })
    .from(consoleSessions)
    .innerJoin(apiKeys, and(eq(apiKeys.tenantId, consoleSessions.tenantId), eq(apiKeys.id, consoleSessions.keyId)))
    .where(and(eq(consoleSessions.tenantId, parsed.tenantId), eq(consoleSessions.idHash, idHash)));
  if (!row) return null;
  const now = ctx.clock();
  const where = and(eq(consoleSessions.tenantId, parsed.tenantId), eq(consoleSessions.idHash, idHash));
  if (row.revokedAt !== null || now - row.lastSeenAt > SESSION_IDLE_MS) {
    await ctx.executor.commit([ctx.db.delete(consoleSessions).where(where)]).catch(ctx.report);
    return null;
  }
  if (now - row.lastSeenAt > SESSION_TOUCH_MS) {
    // Best effort: a busy database delays the mark, and only idle expiry reads it.
    await ctx.executor.commit([ctx.db.update(consoleSessions).set({ lastSeenAt: now }).where(where)]).catch(() => {});
  }
  return {
    id,
    key: { tenantId: parsed.tenantId, keyId: row.keyId, name: row.name, role: row.role as Role, env: row.env },
    csrfToken: row.csrfToken,
    lastSeenAt: now,
  };
}

/** Signs a session out; nothing happens for one that does not exist. */
export async function deleteSession(ctx: StoreContext, id: string): Promise<void> {
  const parsed = parseSessionId(id);
  if (parsed === null) return;
  const idHash = await digest(ctx, parsed.secret);
  await ctx.executor.commit([
    ctx.db.delete(consoleSessions).where(and(eq(consoleSessions.tenantId, parsed.tenantId), eq(consoleSessions.idHash, idHash))),
  ]);
}

/** The statement that ends every session of a key: part of the key's revocation. */
export function deleteSessionsOfKey(ctx: StoreContext, tenantId: string, keyId: string) {
  return ctx.db.delete(consoleSessions).where(and(eq(consoleSessions.tenantId, tenantId), eq(consoleSessions.keyId, keyId)));
}
