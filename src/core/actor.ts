import type { AuditHead } from "./audit/chain.js";
import type { Role } from "./keys/roles.js";

/**
 * Who performs a mutation, as the audit log records it: an API key, the root
 * token (tenant creation), the host itself (bootstrap), or the scheduler
 * applying a change on behalf of the key that scheduled it.
 */
export interface Actor {
  keyId: string | null;
  name: string;
  role: Role | "root" | "system" | "scheduler";
  /**
   * Told the audit entry a committed mutation appended (the chain's new head),
   * before the mutation returns: how the HTTP layer adds the head to the answer
   * of the request that made the change. Not part of the audit entry.
   */
  onSealed?: (head: AuditHead) => void;
}

export const ROOT_ACTOR: Actor = { keyId: null, name: "root token", role: "root" };
export const SYSTEM_ACTOR: Actor = { keyId: null, name: "system", role: "system" };

/** The scheduler applying a change: the audit entry names the key that scheduled it. */
export const schedulerActor = (keyId: string | null): Actor => ({ keyId, name: "scheduler", role: "scheduler" });
