/**
 * Authentication and roles. Every `/v1` request carries a credential
 * (credentials.ts): the root token or a tenant's API key, checked on every
 * request (the store remembers keys and forgets one as its revocation commits),
 * so that a revocation takes effect on the next one.
 */
import type { Context, MiddlewareHandler } from "hono";
import { ROOT_ACTOR, type Actor } from "../core/actor.js";
import { roleAtLeast, type AdminRole } from "../core/keys/roles.js";
import { forbidden, unauthorized } from "../core/problem.js";
import type { AuthenticatedKey } from "../core/store/index.js";
import type { AppDeps, AppEnv } from "./app-env.js";
import { admitV1, refusedTokenReason, ROOT_ONLY_CREATES_TENANTS, UNKNOWN_KEY, type KeyToucher } from "./credentials.js";
import { internalCaller } from "./internal-caller.js";

/** `touchKey`: the host's one toucher (credentials.ts), which records each key's use. */
export function authentication(deps: AppDeps & { touchKey: KeyToucher }): MiddlewareHandler<AppEnv> {
  const touch = deps.touchKey;

  return async (c, next) => {
    // The console's own calls, as its session's key (checked when the session was read).
    const caller = internalCaller(c.env);
    if (caller !== undefined) {
      touch(caller); // a key used only through the console is still in use
      c.set("principal", { kind: "key", key: caller });
      return next();
    }
    const admitted = admitV1((name) => c.req.header(name), c.req.method, c.req.path, deps.rootToken);
    // A 403 here (the root token off its route) is counted with every other 403 once answered (observe-requests.ts).
    if (admitted.kind === "refused") {
      if (admitted.status === 401) {
        deps.telemetry?.authFailed("missing");
        throw unauthorized(admitted.detail);
      }
      throw forbidden(admitted.detail);
    }
    if (admitted.kind === "root") {
      c.set("principal", { kind: "root" });
      return next();
    }
    const key = await deps.store.authenticate(admitted.token);
    if (key === null) {
      deps.telemetry?.authFailed(refusedTokenReason(admitted.token));
      throw unauthorized(UNKNOWN_KEY);
    }
    touch(key);
    c.set("principal", { kind: "key", key });
    return next();
  };
}

/** The calling key, which must hold `role` (or a stronger one). */
export function requireKey(c: Context<AppEnv>, role: AdminRole): AuthenticatedKey {
  const principal = c.get("principal");
  if (principal.kind === "root") throw forbidden(ROOT_ONLY_CREATES_TENANTS);
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
