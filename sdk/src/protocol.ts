/**
 * Wire protocol 1 between the service and the SDK: JSON text frames over a
 * WebSocket at `/v1/stream`, plus the bare text frames `ping` and `pong`.
 *
 * @packageDocumentation
 */
import type { Segment, WireFlag } from "./model.js";

/** The protocol version this SDK speaks. */
export const PROTOCOL_VERSION = 1;

/** The subprotocol the client offers (followed by its key where headers cannot be set). */
export const SUBPROTOCOL = "killswitch.v1";

/** Client → server: first frame on every connection. */
export interface HelloMessage {
  t: "hello";
  protocol: number;
  /** SDK name and version, e.g. `@killswitch/sdk@0.1.0`. */
  sdk: string;
  app: string;
  /** Random per client instance; stable across reconnects. */
  instance: string;
  /** The version the client holds: the server sends only what it missed, when it can. */
  since?: number;
  /** The epoch of the state it holds: the server resumes from `since` only within the same epoch. */
  epoch?: string;
}

/** Client → server: the client has applied everything up to version `v`. */
export interface AckMessage {
  t: "ack";
  v: number;
}

/** Client → server: send me a full snapshot. */
export interface ResyncMessage {
  t: "resync";
}

export type ClientMessage = HelloMessage | AckMessage | ResyncMessage;

/**
 * One entry of the service's hash-chained audit log: a copy kept outside the
 * service's database lets an auditor detect a truncated or rewritten log later
 * (`GET /v1/audit/verify?seq=&hash=`). The client only passes it on.
 */
export interface AuditRef {
  seq: number;
  hash: string;
}

/** Server → client: the whole state of the client's environment. */
export interface SnapshotMessage {
  t: "snapshot";
  v: number;
  env: string;
  /**
   * The environment's epoch: a random id, new when the environment is restored from a
   * backup or created again. Versions only move forward within one epoch; a new epoch
   * lets them start over. Absent from services that do not send it yet.
   */
  epoch?: string;
  /** The tenant, named on signed frames (docs/signing.md); absent from services that do not sign. */
  tenant?: string;
  flags: Record<string, WireFlag>;
  segments: Record<string, Segment>;
  /** Milliseconds since the epoch on the server's clock; after the signatures, not signed. */
  serverTime: number;
  /** Public key (base64url) → Ed25519 signature (base64url) of the payload that follows: first in the frame (after `serverTime`), outside what is signed (docs/signing.md). */
  sig?: Record<string, string>;
  /** The audit entry of the change that made version `v`; absent for a version no change made, or not known. */
  audit?: AuditRef;
}

/** Server → client: what changed from version `prev` to `v`. */
export interface PatchMessage {
  t: "patch";
  v: number;
  prev: number;
  /** The environment, its epoch and the tenant, named on signed frames: a patch applies only within the epoch held. */
  env?: string;
  epoch?: string;
  tenant?: string;
  flags: Record<string, WireFlag>;
  segments: Record<string, Segment>;
  removed: { flags: string[]; segments: string[] };
  /** The audit entry of the change that made version `v`; absent when not known. */
  audit?: AuditRef;
  /** Public key (base64url) → Ed25519 signature (base64url) of the payload that follows: first in the frame (after `serverTime`), outside what is signed (docs/signing.md). */
  sig?: Record<string, string>;
}

/**
 * Server → client: heartbeat carrying the current version (Node host, every 10 s).
 * Unsigned, except during a signing key's rotation: then a signed `hb` of version 0
 * announces the environment's new key (`key`, generation `n`), signed by the old and
 * the new key (docs/signing.md).
 */
export interface HeartbeatMessage {
  t: "hb";
  v: number;
  serverTime: number;
  env?: string;
  epoch?: string;
  tenant?: string;
  /** The environment's new signing key (raw, base64url), on a signed announcement. */
  key?: string;
  /** That key's generation: a client keeps the highest it has verified. */
  n?: number;
  /** Public key (base64url) → Ed25519 signature (base64url) of the payload that follows: first in the frame (after `serverTime`), outside what is signed (docs/signing.md). */
  sig?: Record<string, string>;
}

export type ServerMessage = SnapshotMessage | PatchMessage | HeartbeatMessage;

export { checkServerMessage, checkPatch, checkMaps, isVersion } from "./wire.js";

/** Bare text frames: application-level liveness, answered without parsing JSON. */
export const PING = "ping";
export const PONG = "pong";

/** WebSocket close codes the service uses. */
export const CLOSE = {
  /** A frame broke the protocol (not JSON, unknown type, hello twice…). */
  POLICY: 1008,
  /** A frame over the size limit. */
  TOO_BIG: 1009,
  /** The key was revoked or is not allowed on this stream. */
  UNAUTHORIZED: 4001,
  /** The key holds as many open streams as the server allows (as HTTP 429): reconnect with backoff. */
  TOO_MANY_CONNECTIONS: 4029,
  /** The server is shutting down, or dropped a slow consumer: reconnect. */
  GOING_AWAY: 1001,
} as const;

/** The snapshot served over HTTP (`GET /v1/snapshot`), for clients that cannot hold a socket. */
export interface HttpSnapshot {
  version: number;
  env: string;
  /** As on the `snapshot` message. */
  epoch?: string;
  tenant?: string;
  flags: Record<string, WireFlag>;
  segments: Record<string, Segment>;
  /** Public key (base64url) → Ed25519 signature (base64url) of the payload that follows: first in the frame (after `serverTime`), outside what is signed (docs/signing.md). */
  sig?: Record<string, string>;
}
