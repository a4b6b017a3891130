/**
 * Commits read back from the audit log, as the write path reported them to the
 * operator event source: what a subscriber resuming after a restart is replayed.
 */
import { and, asc, eq, gt, inArray } from "drizzle-orm";
import { auditLog, changeLog } from "../db/schema.js";
import type { CommitRecord } from "../events/operator-events.js";
import type { StoreContext } from "./context.js";
import { CHANGE_ENTITIES } from "./directives.js";
import { commitRecord } from "./mutation.js";

/** The commits of changes and directives after audit seq `afterSeq`, oldest first, at most `limit`. */
export async function commitsAfterSeq(ctx: StoreContext, tenantId: string, afterSeq: number, limit: number): Promise<CommitRecord[]> {
  const rows = await ctx.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.tenantId, tenantId), gt(auditLog.seq, afterSeq), inArray(auditLog.entity, [...CHANGE_ENTITIES, "directive"])))
    .orderBy(asc(auditLog.seq))
    .limit(limit);
  const versions = new Map<number, { env: string; version: number; entity: "flag" | "segment"; key: string }[]>();
  const seqs = rows.filter((row) => row.entity !== "directive").map((row) => row.seq);
  // A Durable Object binds at most 100 parameters per statement.
  for (let i = 0; i < seqs.length; i += 90) {
    const changes = await ctx.db
      .select({ seq: changeLog.auditSeq, env: changeLog.env, version: changeLog.version, entity: changeLog.entity, key: changeLog.key })
      .from(changeLog)
      .where(and(eq(changeLog.tenantId, tenantId), inArray(changeLog.auditSeq, seqs.slice(i, i + 90))))
      .orderBy(asc(changeLog.env), asc(changeLog.version));
    for (const { seq, ...change } of changes) {
      if (seq === null) continue;
      let list = versions.get(seq);
      if (!list) versions.set(seq, (list = []));
      list.push(change);
    }
  }
  return rows.map((row) => commitRecord(tenantId, row, versions.get(row.seq) ?? []));
}
