/**
 * Credentials, in one place for every route and both hosts: where a request
 * carries its key, what each refusal says, the root token, the sdk key check of
 * OFREP and the stream, and `lastUsedAt`.
 *
 * Where a key travels:
 * - `Authorization: Bearer <key>` on every route; when the header is there it is
 *   the credential, well formed or not (nothing falls back past a bad one);
 * - `X-API-Key: <key>` on OFREP, which OpenFeature's providers send;
 * - `Sec-WebSocket-Protocol: killswitch.v1, <key>` on the stream upgrade, for a
 *   browser, which cannot set headers on a WebSocket. Never the URL: URLs end up
 *   in access logs and proxies.
 */
import { SUBPROTOCOL } from "@killswitch/sdk/protocol.js";
import { constantTimeEqual } from "../core/crypto.js";
import { parseToken } from "../core/keys/token.js";
import type { AuthFailureReason } from "../core/telemetry.js";
import type { AuthenticatedKey, Store } from "../core/store/index.js";
import { PairMap } from "../core/store/pair-map.js";

/** Reads one request header by its lower-case name. */
export type HeaderReader = (name: string) => string | null | undefined;

/** The routes that read a key, each with its own places for it. */
export type KeyedRoute = "v1" | "ofrep" | "stream";

/** What each route says when no credential can be read. */
export const NO_CREDENTIAL: Record<KeyedRoute, string> = {
  v1: "Send Authorization: Bearer <key>.",
  ofrep: "Send an sdk key as Authorization: Bearer <key> or X-API-Key: <key>.",
  stream: "an sdk key is required: Authorization: Bearer <key>, or Sec-WebSocket-Protocol: killswitch.v1, <key>",
};
export const UNKNOWN_KEY = "The key is malformed, unknown or revoked.";
/** The root token outside `POST /v1/tenants`. */
export const ROOT_ONLY_CREATES_TENANTS = "The root token may only create tenants (POST /v1/tenants).";
export const ROOT_ON_OFREP = "The root token may only create tenants; OFREP takes an sdk key.";
/** A 401's challenge (RFC 9110 §11.6.1). */
export const WWW_AUTHENTICATE = 'Bearer realm="killswitch"';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** The credential of a request on `route`, or null when it carries none that can be read. */
export function credentialOf(header: HeaderReader, route: KeyedRoute): string | null {
  const authorization = header("authorization");
  if (authorization !== null && authorization !== undefined) return BEARER.exec(authorization)?.[1] ?? null;
  if (route === "ofrep") return header("x-api-key")?.trim() || null;
  if (route === "stream") return offeredKey(header("sec-websocket-protocol"));
  return null;
}

/** The key a browser offers beside our subprotocol, in either order; anything else offers none. */
function offeredKey(offered: string | null | undefined): string | null {
  if (offered === null || offered === undefined) return null;
  const protocols = offered.split(",").map((p) => p.trim());
  if (protocols.length !== 2 || !protocols.includes(SUBPROTOCOL)) return null;
  return protocols.find((p) => p !== SUBPROTOCOL) ?? null;
}

/** The subprotocol a stream answers: only ever ours, so a key offered as one is never echoed back. */
export function selectSubprotocol(offered: Iterable<string>): string | null {
  for (const protocol of offered) if (protocol === SUBPROTOCOL) return SUBPROTOCOL;
  return null;
}

/** Whether `token` is the root token (`KILLSWITCH_ROOT_TOKEN`); unset, nothing is. */
export function isRootToken(token: string | null, rootToken: string | undefined): boolean {
  return Boolean(rootToken) && token !== null && constantTimeEqual(token, rootToken!);
}

/** The first refusal of a `/v1` request, in the contract's order (after 413): 401, then the root token's 403. */
export type V1Admission = { kind: "root" } | { kind: "key"; token: string } | { kind: "refused"; status: 401 | 403; detail: string };

/**
 * Who a `/v1` request is, as far as its credential alone tells: the root token
 * (which may only create tenants), a key to look up, or a refusal. The app's
 * middleware and a host's edge (which routes on the key before any app runs)
 * both start here.
 */
export function admitV1(header: HeaderReader, method: string, path: string, rootToken: string | undefined): V1Admission {
  const token = credentialOf(header, path === STREAM_PATH ? "stream" : "v1");
  if (token === null) return { kind: "refused", status: 401, detail: NO_CREDENTIAL[path === STREAM_PATH ? "stream" : "v1"] };
  if (isRootToken(token, rootToken)) {
    return method === "POST" && path === "/v1/tenants" ? { kind: "root" } : { kind: "refused", status: 403, detail: ROOT_ONLY_CREATES_TENANTS };
  }
  return { kind: "key", token };
}

export const STREAM_PATH = "/v1/stream";

/** An authenticated sdk key: one environment. */
export type SdkKey = AuthenticatedKey & { env: string };

/** Why a key may not use an sdk route: null for an sdk key. */
export function sdkKeyRefusal(key: AuthenticatedKey, route: "ofrep" | "stream"): string | null {
  if (key.role === "sdk" && key.env !== null) return null;
  return route === "ofrep" ? `OFREP takes an sdk key; this key is ${key.role}.` : `A stream needs an sdk key; this key is ${key.role}.`;
}

export type SdkKeyCheck = { ok: true; key: SdkKey } | { ok: false; status: 401 | 403; detail: string; reason: AuthFailureReason };

/** Why a token that authenticated nothing was refused: it is no key at all, or names no live one. */
export const refusedTokenReason = (token: string): AuthFailureReason => (parseToken(token) === null ? "malformed" : "unknown");

/** Records a key's use (`lastUsedAt`), at most once a minute per key: see {@link keyToucher}. */
export type KeyToucher = (key: AuthenticatedKey) => void;

export interface SdkKeyDeps {
  store: Pick<Store, "authenticate">;
  rootToken?: string | undefined;
  /** The host's one toucher, shared with every other route that authenticates. */
  touchKey: KeyToucher;
}

/**
 * The check of an sdk route's credential (`credentialOf(header, route)`: OFREP,
 * the stream upgrade on a host that takes it before the app): 401 without a key or for an unknown one, 403 for the root
 * token or a key of another role; a passing key's use is recorded.
 */
export function sdkKeyChecker(deps: SdkKeyDeps, route: "ofrep" | "stream"): (token: string | null) => Promise<SdkKeyCheck> {
  return async (token) => {
    if (token === null) return { ok: false, status: 401, detail: NO_CREDENTIAL[route], reason: "missing" };
    const key = await deps.store.authenticate(token);
    if (key === null) {
      // Looked at only once the token is no key: a per-request comparison spared.
      if (isRootToken(token, deps.rootToken)) {
        return { ok: false, status: 403, detail: route === "ofrep" ? ROOT_ON_OFREP : ROOT_ONLY_CREATES_TENANTS, reason: "forbidden" };
      }
      return { ok: false, status: 401, detail: UNKNOWN_KEY, reason: refusedTokenReason(token) };
    }
    const refusal = sdkKeyRefusal(key, route);
    if (refusal !== null) return { ok: false, status: 403, detail: refusal, reason: "forbidden" };
    deps.touchKey(key);
    return { ok: true, key: key as SdkKey };
  };
}

/** lastUsedAt is written at most this often per key (a reconnect storm is not 10,000 writes). */
export const TOUCH_INTERVAL_MS = 60_000;
const MAX_TRACKED_KEYS = 10_000;

export interface KeyToucherDeps {
  store: Pick<Store, "touchKey">;
  clock?: () => number;
  /** Runs the write after the response (`ctx.waitUntil` on Workers). Default: fire and forget. */
  defer?: (task: Promise<unknown>) => void;
  onError?: (error: unknown) => void;
}

/**
 * Records a key's use (lastUsedAt) at most once a minute per key, through
 * `defer`: off the request's critical path, and never failing it. A host makes
 * one where it composes its dependencies and hands it to every route that
 * authenticates (the API, OFREP, the stream): with one per route, a key in use
 * on two routes was written twice a minute, the second write landing after the
 * first's read.
 */
export function keyToucher(deps: KeyToucherDeps): KeyToucher {
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
