/**
 * Requests the app makes to itself on behalf of an already authenticated key:
 * the operator console calls the same `/v1` routes as every other client, as the
 * key its session was opened with. Such a request is dispatched with an `env`
 * object made here (the app's bindings argument, which no client can set), and
 * the map below knows which key made it.
 */
import type { AuthenticatedKey } from "../core/store/index.js";

const callers = new WeakMap<object, AuthenticatedKey>();

/** The bindings to dispatch a request with, as `key`. */
export function callerEnv(key: AuthenticatedKey): object {
  const env = {};
  callers.set(env, key);
  return env;
}

/** The key an in-process request was sent as, if it was one. */
export function internalCaller(env: unknown): AuthenticatedKey | undefined {
  return typeof env === "object" && env !== null ? callers.get(env) : undefined;
}
