import { silentBroadcaster, type Broadcaster, type CommittedChange, type EnvReset } from "../core/broadcaster.js";

/**
 * A broadcaster that forwards to a target set later. The store needs a
 * broadcaster when it is created, and the socket hub needs the store (as its
 * StreamSource): the relay breaks that cycle.
 */
export class BroadcastRelay implements Broadcaster {
  target: Broadcaster = silentBroadcaster;

  publish(change: CommittedChange): void {
    this.target.publish(change);
  }

  keyRevoked(tenantId: string, keyId: string): void {
    this.target.keyRevoked(tenantId, keyId);
  }

  resetEnvironment(tenantId: string, env: string, cause: EnvReset, auditSeq?: number): void {
    this.target.resetEnvironment?.(tenantId, env, cause, auditSeq);
  }
}
