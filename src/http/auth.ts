/**
 * Authentication and roles. Every `/v1` request carries `Authorization: Bearer
 * <token>`: the root token or a tenant's API key, checked on every request (the
 * store remembers keys and forgets one as its revocation commits), so that a
 * revocation takes effect on the next one.
 */
import type { Context, MiddlewareHandler } from "hono";
import { ROOT_ACTOR, type Actor } from "../core/actor.js";
import { constantTimeEqual } from "../core/crypto.js";
import { roleAtLeast, type AdminRole } from "../core/keys/roles.js";
import { forbidden, unauthorized } from "../core/problem.js";
import type { AuthenticatedKey } from "../core/store/index.js";
import { PairMap } from "../core/store/pair-map.js";
import type { AppDeps, AppEnv } from "./app-env.js";
import { internalCaller } from "./internal-caller.js";

/** lastUsedAt is written at most this often per key. */
export const TOUCH_INTERVAL_MS = 60_000;
const MAX_TRACKED_KEYS = 10_000;

function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1] ?? null;
}

/**
 * Records a key's use (lastUsedAt) at most once a minute per key, through
 * `defer`: off the request's critical path, and never failing it. One per route
 * family (/v1, OFREP).
 */
export function keyToucher(deps: AppDeps): (key: AuthenticatedKey) => void {
  const clock = deps.clock ?? Date.now;
  const report = deps.onError ?? (() => {});
  const defer = deps.defer ?? ((task: Promise<unknown>) => void task);
  const lastTouched = new PairMap<number>();

  return (key) => {
    const now = clock();
    if (now - (lastTouched.get(key.tenantId, key.keyId) ?? -Infinity) < TOUCH_INTERVAL_MS) return;
    if (lastTouched.size >= MAX_TRACKED_KEYS) lastTouched.clear();
    lastTouched.set(key.tenantId, key.keyId, now);
    defer(deps.store.touchKey(key.tenantId, key.keyId, now).catch(report));
  };
}

export function authentication(deps: AppDeps): MiddlewareHandler<AppEnv> {
  const touch = keyToucher(deps);

  return async (c, next) => {
    // The console's own calls, as its session's key (checked when the session was read).
    const caller = internalCaller(c.env);
    if (caller !== undefined) {
      c.set("principal", { kind: "key", key: caller });
      return next();
    }
    const token = bearerToken(c.req.header("authorization"));
    if (token === null) throw unauthorized("Send Authorization: Bearer <key>.");
    if (deps.rootToken && constantTimeEqual(token, deps.rootToken)) {
      c.set("principal", { kind: "root" });
      return next();
    }
    const key = await deps.store.authenticate(token);
    if (key === null) throw unauthorized("The key is malformed, unknown or revoked.");
    touch(key);
    c.set("principal", { kind: "key", key });
    return next();
  };
}

/** The calling key, which must hold `role` (or a stronger one). */
export function requireKey(c: Context<AppEnv>, role: AdminRole): AuthenticatedKey {
  const principal = c.get("principal");
  if (principal.kind === "root") throw forbidden("The root token may only create tenants (POST /v1/tenants).");
  if (!roleAtLeast(principal.key.role, role)) {
    throw forbidden(`This needs the ${role} role${role === "admin" ? "" : " or higher"}; the key is ${principal.key.role}.`);
  }
  return principal.key;
}

/**
 * The caller as the audit log records it. The audit entry its write appends is
 * kept on the request, and audit-checkpoint.ts adds it to the answer.
 */
export function actorOf(c: Context<AppEnv>): Actor {
  const principal = c.get("principal");
  const who: Actor =
    principal.kind === "root" ? ROOT_ACTOR : { keyId: principal.key.keyId, name: principal.key.name, role: principal.key.role };
  return { ...who, onSealed: (head) => c.set("sealed", head) };
}
