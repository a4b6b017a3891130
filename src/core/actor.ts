import type { Role } from "./keys/roles.js";

/**
 * Who performs a mutation, as the audit log records it: an API key, the root
 * token (tenant creation) or the host itself (bootstrap).
 */
export interface Actor {
  keyId: string | null;
  name: string;
  role: Role | "root" | "system";
}

export const ROOT_ACTOR: Actor = { keyId: null, name: "root token", role: "root" };
export const SYSTEM_ACTOR: Actor = { keyId: null, name: "system", role: "system" };
