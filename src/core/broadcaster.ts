import type { AuditRef, Segment, WireFlag } from "@killswitch/sdk";

/**
 * One committed change of one environment: what SDKs of that environment must
 * apply to go from version `prev` to `version`. The core produces it after the
 * commit; a host delivers it.
 */
export interface CommittedChange {
  tenantId: string;
  env: string;
  version: number;
  prev: number;
  /** Commit time, milliseconds since the epoch. */
  committedAt: number;
  flags: Record<string, WireFlag>;
  segments: Record<string, Segment>;
  removed: { flags: string[]; segments: string[] };
  /** The audit entry of the same commit; absent on change-log rows older than the column. */
  audit?: AuditRef;
}

/**
 * Why an environment's signed frames are void: `key`, its signing keys changed (a
 * rotation: frames go on signed by both keys, and the new key is announced);
 * `epoch`, it has a new epoch (its versions may have moved back: every socket gets a
 * fresh snapshot).
 */
export type EnvReset = "key" | "epoch";

/**
 * The seam between the core and a host's socket layer. The core calls it after
 * every commit; the Node host implements it with a `ws` hub, the Worker host
 * with the Durable Object's hibernatable sockets.
 */
export interface Broadcaster {
  /** Deliver a committed change to every SDK connection of its environment. */
  publish(change: CommittedChange): void;
  /** A key was revoked: close its live connections now. */
  keyRevoked(tenantId: string, keyId: string): void;
  /**
   * An environment's signing keys or epoch changed: drop every frame signed or
   * snapshot read for it, and bring its sockets over (see {@link EnvReset}).
   * `auditSeq`, the change's audit entry, tells one change heard twice (this process's
   * own, read back from the database by the Node host's commit tail). Optional for
   * broadcasters that hold no sockets.
   */
  resetEnvironment?(tenantId: string, env: string, cause: EnvReset, auditSeq?: number): void;
}

/** What a stream needs from the store: a full snapshot, or the changes a client missed. */
export interface StreamSource {
  snapshot(tenantId: string, env: string): Promise<{
    version: number;
    flags: Record<string, WireFlag>;
    segments: Record<string, Segment>;
    /** The audit entry of the change that made `version`, when known. */
    audit?: AuditRef;
    /** The environment's epoch as read with `version`. */
    epoch?: string;
  }>;
  /**
   * Changes after `since`, oldest first, or `null` when the change log no longer
   * holds all of them (the client then gets a snapshot).
   */
  changesSince(tenantId: string, env: string, since: number): Promise<CommittedChange[] | null>;
}

/** A broadcaster that delivers nowhere: for hosts and tests without sockets. */
export const silentBroadcaster: Broadcaster = {
  publish() {},
  keyRevoked() {},
  resetEnvironment() {},
};
