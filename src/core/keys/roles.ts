/**
 * Roles of API keys. admin ⊃ operator ⊃ viewer; `sdk` stands apart: it reads one
 * environment's snapshot and stream and nothing else.
 */
export const ROLES = ["admin", "operator", "viewer", "sdk"] as const;
export type Role = (typeof ROLES)[number];

/** The roles of the admin API, in increasing power. */
export type AdminRole = Exclude<Role, "sdk">;

const RANK: Record<AdminRole, number> = { viewer: 1, operator: 2, admin: 3 };

/** Whether `role` may do what `needed` may. An sdk key holds no admin role. */
export function roleAtLeast(role: Role, needed: AdminRole): boolean {
  return role !== "sdk" && RANK[role] >= RANK[needed];
}
