/**
 * Reading the change log back: a row as the change SDKs receive, and the audit
 * entry of the commit that made a version.
 */
import type { AuditRef } from "@killswitch/sdk";
import { and, eq } from "drizzle-orm";
import type { CommittedChange } from "../broadcaster.js";
import { changeLog } from "../db/schema.js";
import type { StoreContext } from "./context.js";
import { toCommittedChange } from "./mutation.js";

type ChangeLogRow = Omit<typeof changeLog.$inferSelect, "tenantId">;

/** A change-log row as the change it records. */
export function changeOfLogRow(tenantId: string, row: ChangeLogRow): CommittedChange {
  return toCommittedChange(
    tenantId,
    row.committedAt,
    {
      env: row.env,
      version: row.version,
      entity: row.entity,
      key: row.key,
      payload: row.payload === null ? null : JSON.parse(row.payload),
    },
    auditRefOf(row),
  );
}

/**
 * The audit entry of the change that made an environment's `version`: null for
 * version 0, for a version the log does not hold, or for a row written before
 * change-log rows named their audit entry.
 */
export async function changeAudit(ctx: StoreContext, tenantId: string, env: string, version: number): Promise<AuditRef | null> {
  const [row] = await ctx.db
    .select({ auditSeq: changeLog.auditSeq, auditHash: changeLog.auditHash })
    .from(changeLog)
    .where(and(eq(changeLog.tenantId, tenantId), eq(changeLog.env, env), eq(changeLog.version, version)));
  return row ? auditRefOf(row) : null;
}

function auditRefOf(row: { auditSeq: number | null; auditHash: string | null }): AuditRef | null {
  return row.auditSeq === null || row.auditHash === null ? null : { seq: row.auditSeq, hash: row.auditHash };
}
