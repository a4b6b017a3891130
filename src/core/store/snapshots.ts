/**
 * What SDKs receive: a whole environment (snapshot), or the changes after a version
 * (from the change log). Together they implement the stream's StreamSource.
 */
import type { AuditRef, HttpSnapshot, Segment, WireFlag } from "@killswitch/sdk";
import { and, asc, eq, gt } from "drizzle-orm";
import type { CommittedChange } from "../broadcaster.js";
import { changeLog, environments, flags, segments } from "../db/schema.js";
import type { StoreContext } from "./context.js";
import { changeAudit, changeOfLogRow } from "./change-log.js";
import { readFlagConfigsOfEnv, requireEnvironment } from "./reads.js";
import { segmentView, wireFlag } from "./views.js";

/** A client further behind than this gets a snapshot rather than a replay. */
export const MAX_REPLAY = 1000;

async function envVersion(ctx: StoreContext, tenantId: string, env: string): Promise<number | undefined> {
  const [row] = await ctx.db
    .select({ version: environments.version })
    .from(environments)
    .where(and(eq(environments.tenantId, tenantId), eq(environments.key, env)));
  return row?.version;
}

/** The environment at one version, with the audit entry of the change that made it (for stream frames). */
export type StoreSnapshot = HttpSnapshot & { audit?: AuditRef };

/**
 * The environment at one version. The version is read before and after the
 * entities; if a commit landed in between (another process), read again.
 */
export async function snapshot(ctx: StoreContext, tenantId: string, env: string): Promise<StoreSnapshot> {
  for (let attempt = 1; ; attempt++) {
    const { version, epoch } = await requireEnvironment(ctx.db, tenantId, env);
    const flagRows = await ctx.db.select().from(flags).where(eq(flags.tenantId, tenantId)).orderBy(asc(flags.key));
    const configs = await readFlagConfigsOfEnv(ctx.db, tenantId, env);
    const segmentRows = await ctx.db
      .select()
      .from(segments)
      .where(and(eq(segments.tenantId, tenantId), eq(segments.env, env)))
      .orderBy(asc(segments.key));
    if (attempt < 5 && (await envVersion(ctx, tenantId, env)) !== version) continue;

    const byKey = new Map(configs.map((config) => [config.flagKey, config]));
    // Keys come from stored rows: objects without a prototype keep any name, __proto__ included.
    const wireFlags: Record<string, WireFlag> = Object.create(null);
    for (const flag of flagRows) {
      const config = byKey.get(flag.key);
      if (config) wireFlags[flag.key] = wireFlag(flag, config);
    }
    const wireSegments: Record<string, Segment> = Object.create(null);
    for (const row of segmentRows) wireSegments[row.key] = segmentView(row);
    const snapshot: StoreSnapshot = { version, env, flags: wireFlags, segments: wireSegments };
    if (epoch !== null) snapshot.epoch = epoch;
    const audit = await changeAudit(ctx, tenantId, env, version);
    if (audit) snapshot.audit = audit;
    return snapshot;
  }
}

/**
 * The changes after `since`, oldest first; null when the log cannot replay them
 * all (too far behind, a version from elsewhere, an unknown environment): the
 * client then needs a snapshot.
 */
export async function changesSince(
  ctx: StoreContext,
  tenantId: string,
  env: string,
  since: number,
): Promise<CommittedChange[] | null> {
  const current = await envVersion(ctx, tenantId, env);
  if (current === undefined || !Number.isInteger(since) || since < 0 || since > current) return null;
  if (since === current) return [];
  if (current - since > MAX_REPLAY) return null;
  const rows = await ctx.db
    .select()
    .from(changeLog)
    .where(and(eq(changeLog.tenantId, tenantId), eq(changeLog.env, env), gt(changeLog.version, since)))
    .orderBy(asc(changeLog.version))
    .limit(MAX_REPLAY);
  const changes: CommittedChange[] = [];
  for (const [i, row] of rows.entries()) {
    if (row.version !== since + 1 + i) return null;
    changes.push(changeOfLogRow(tenantId, row));
  }
  return changes.length > 0 && changes[changes.length - 1]!.version >= current ? changes : null;
}
