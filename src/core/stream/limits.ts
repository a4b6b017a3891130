import { CLOSE } from "@killswitch/sdk/protocol.js";

/**
 * What one stream socket may do, decided once for both hosts: the Node hub
 * and the Worker's hibernating hub call these functions with their own clock
 * and state, and act on the verdict (a close with a code and a reason).
 *
 * - `resync`: a token bucket per socket. Each `resync` answers a whole
 *   snapshot, so a client asking in a loop makes the server serialize and
 *   send the environment again and again; an SDK asks only after a gap and
 *   waits for the snapshot before asking again.
 * - `hello` within `helloTimeoutMs` of the upgrade.
 * - Something heard (a frame, or the bare `ping`) at least every
 *   `silenceLimitMs`: the SDK pings at least every 10 s, so 30 s is three
 *   missed pings, the limit the SDK itself applies to the server.
 * - At most `maxConnectionsPerKey` open sockets per sdk key on one Node
 *   process or one tenant's Durable Object.
 */
export interface StreamLimits {
  /** A socket that has not sent `hello` this long after its upgrade is closed (1008). */
  helloTimeoutMs: number;
  /** A socket heard from neither by frame nor by `ping` for this long is closed (1008). */
  silenceLimitMs: number;
  /** `resync` frames a socket may send at once. */
  resyncBurst: number;
  /** One more `resync` is allowed every this many ms, up to the burst. */
  resyncRefillMs: number;
  /** Open sockets per sdk key; the next one is closed with 4029 at once. */
  maxConnectionsPerKey: number;
}

/** The longest interval between two `ping`s of the SDK (sdk/src/client.ts). */
export const SDK_MAX_PING_INTERVAL_MS = 10_000;

export const DEFAULT_STREAM_LIMITS: Readonly<StreamLimits> = Object.freeze({
  helloTimeoutMs: 10_000,
  silenceLimitMs: 3 * SDK_MAX_PING_INTERVAL_MS,
  // Five at once, then one every 12 s: at most 10 in any minute, 5 a minute sustained.
  resyncBurst: 5,
  resyncRefillMs: 12_000,
  // Above the 10,000 connections one process is built for, below the 32,768
  // hibernatable sockets of one Durable Object: one key cannot take a whole tenant.
  maxConnectionsPerKey: 20_000,
});

/** The variable both hosts read the per-key limit from. */
export const MAX_STREAMS_PER_KEY_VAR = "KILLSWITCH_MAX_STREAMS_PER_KEY";

/** The defaults with `overrides` applied; each must be a positive safe integer. */
export function streamLimits(overrides: Partial<StreamLimits> = {}): StreamLimits {
  const limits = { ...DEFAULT_STREAM_LIMITS };
  for (const [name, value] of Object.entries(overrides) as [keyof StreamLimits, number | undefined][]) {
    if (value === undefined) continue;
    if (!(name in DEFAULT_STREAM_LIMITS)) throw new TypeError(`Unknown stream limit "${name}".`);
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`Stream limit ${name} must be a positive integer, not ${value}.`);
    limits[name] = value;
  }
  return limits;
}

/** The value of {@link MAX_STREAMS_PER_KEY_VAR}: unset or blank means the default. */
export function parseMaxStreamsPerKey(text: string | undefined): number {
  const trimmed = text?.trim();
  if (!trimmed) return DEFAULT_STREAM_LIMITS.maxConnectionsPerKey;
  if (!/^[1-9]\d{0,8}$/.test(trimmed)) {
    throw new RangeError(`${MAX_STREAMS_PER_KEY_VAR} must be a whole number from 1 to 999999999, not "${text}".`);
  }
  return Number(trimmed);
}

/** Why and how a host closes a socket. */
export interface CloseOrder {
  code: number;
  reason: string;
}

// ------------------------------------------------------------------- resync

/** A socket's `resync` allowance; the hosts keep these two numbers on the socket (or its attachment). */
export interface ResyncBucket {
  /** Allowance left at `resyncAt`, fractional while refilling. */
  resyncTokens: number;
  /** When `resyncTokens` was last computed (ms on the host's clock). */
  resyncAt: number;
}

/** A full allowance, as a socket starts with. */
export function freshResyncBucket(now: number, limits: StreamLimits): ResyncBucket {
  return { resyncTokens: limits.resyncBurst, resyncAt: now };
}

/**
 * Spend one `resync` from `bucket` (updated in place). Null: answer it.
 * Otherwise the socket has asked too often and is closed.
 */
export function takeResync(bucket: ResyncBucket, now: number, limits: StreamLimits): CloseOrder | null {
  // A clock that went back refills nothing, and is not taken as the new starting point.
  const elapsed = Math.max(0, now - bucket.resyncAt);
  const tokens = Math.min(limits.resyncBurst, bucket.resyncTokens + elapsed / limits.resyncRefillMs);
  bucket.resyncAt = Math.max(bucket.resyncAt, now);
  if (tokens < 1) {
    bucket.resyncTokens = tokens;
    return { code: CLOSE.POLICY, reason: `too many resync: at most ${limits.resyncBurst}, then 1 per ${limits.resyncRefillMs / 1000} s` };
  }
  bucket.resyncTokens = tokens - 1;
  return null;
}

// ------------------------------------------------------------------- idle sockets

/** What a host knows of a socket's activity, on its own clock. */
export interface SocketActivity {
  /** When the upgrade completed. */
  connectedAt: number;
  /** Whether `hello` has been received. */
  helloed: boolean;
  /** The last time anything arrived from the client: a frame, or `ping`. */
  heardAt: number;
}

/** When the socket becomes idle past a limit, if nothing more is heard. */
export function idleDeadline(socket: SocketActivity, limits: StreamLimits): number {
  const silent = socket.heardAt + limits.silenceLimitMs;
  return socket.helloed ? silent : Math.min(silent, socket.connectedAt + limits.helloTimeoutMs);
}

/** Null while the socket may stay; otherwise how to close it. */
export function idleClose(socket: SocketActivity, now: number, limits: StreamLimits): CloseOrder | null {
  if (!socket.helloed && now >= socket.connectedAt + limits.helloTimeoutMs) {
    return { code: CLOSE.POLICY, reason: `no hello within ${limits.helloTimeoutMs / 1000} s` };
  }
  if (now >= socket.heardAt + limits.silenceLimitMs) {
    return { code: CLOSE.POLICY, reason: `nothing heard for ${limits.silenceLimitMs / 1000} s; ping at least every ${SDK_MAX_PING_INTERVAL_MS / 1000} s` };
  }
  return null;
}

// ------------------------------------------------------------------- connections per key

/**
 * Whether one more socket may open for a key that holds `open` sockets on
 * this host. The socket is still upgraded and then closed at once, so that
 * every client, a browser's included, sees the code and the reason (a
 * refused upgrade reaches a browser as a bare 1006).
 */
export function admitConnection(open: number, limits: StreamLimits): CloseOrder | null {
  if (open < limits.maxConnectionsPerKey) return null;
  return {
    code: CLOSE.TOO_MANY_CONNECTIONS,
    reason: `this key already holds ${limits.maxConnectionsPerKey} open streams here; reconnect later`,
  };
}
