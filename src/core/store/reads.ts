/**
 * Reads shared by the store's areas. Every query filters on the tenant.
 */
import type { Rule, Segment } from "@killswitch/sdk";
import { and, asc, desc, eq, inArray } from "drizzle-orm";
import type { AuditHead } from "../audit/chain.js";
import type { StoreDb } from "../db/executor.js";
import { auditLog, environments, flagConfigs, flags, segments } from "../db/schema.js";
import { notFound } from "../problem.js";
import { segmentsNamed } from "../references.js";
import { segmentView, type EnvironmentRow, type FlagConfigRow, type FlagRow, type SegmentRow } from "./views.js";

export async function readAuditHead(db: StoreDb, tenantId: string): Promise<AuditHead | null> {
  const [row] = await db
    .select({ seq: auditLog.seq, hash: auditLog.hash })
    .from(auditLog)
    .where(eq(auditLog.tenantId, tenantId))
    .orderBy(desc(auditLog.seq))
    .limit(1);
  return row ?? null;
}

export function readEnvironments(db: StoreDb, tenantId: string): Promise<EnvironmentRow[]> {
  return db.select().from(environments).where(eq(environments.tenantId, tenantId)).orderBy(asc(environments.key));
}

export async function requireEnvironment(db: StoreDb, tenantId: string, env: string): Promise<EnvironmentRow> {
  const [row] = await db
    .select()
    .from(environments)
    .where(and(eq(environments.tenantId, tenantId), eq(environments.key, env)));
  if (!row) throw notFound(`No environment "${env}".`);
  return row;
}

export async function readFlag(db: StoreDb, tenantId: string, key: string): Promise<FlagRow | undefined> {
  const [row] = await db
    .select()
    .from(flags)
    .where(and(eq(flags.tenantId, tenantId), eq(flags.key, key)));
  return row;
}

export async function requireFlag(db: StoreDb, tenantId: string, key: string): Promise<FlagRow> {
  const row = await readFlag(db, tenantId, key);
  if (!row) throw notFound(`No flag "${key}".`);
  return row;
}

export async function requireFlagConfig(db: StoreDb, tenantId: string, env: string, key: string): Promise<FlagConfigRow> {
  const [row] = await db
    .select()
    .from(flagConfigs)
    .where(and(eq(flagConfigs.tenantId, tenantId), eq(flagConfigs.env, env), eq(flagConfigs.flagKey, key)));
  if (!row) throw notFound(`No flag "${key}".`);
  return row;
}

/** Every environment's config of one flag. */
export function readFlagConfigsOfFlag(db: StoreDb, tenantId: string, key: string): Promise<FlagConfigRow[]> {
  return db
    .select()
    .from(flagConfigs)
    .where(and(eq(flagConfigs.tenantId, tenantId), eq(flagConfigs.flagKey, key)));
}

/** Every flag config of one environment. */
export function readFlagConfigsOfEnv(db: StoreDb, tenantId: string, env: string): Promise<FlagConfigRow[]> {
  return db
    .select()
    .from(flagConfigs)
    .where(and(eq(flagConfigs.tenantId, tenantId), eq(flagConfigs.env, env)))
    .orderBy(asc(flagConfigs.flagKey));
}

export async function readSegment(db: StoreDb, tenantId: string, env: string, key: string): Promise<SegmentRow | undefined> {
  const [row] = await db
    .select()
    .from(segments)
    .where(and(eq(segments.tenantId, tenantId), eq(segments.env, env), eq(segments.key, key)));
  return row;
}

/** The segments of one environment that rules name, as SDKs receive them, by key (unknown keys are absent). */
export async function readNamedSegments(db: StoreDb, tenantId: string, env: string, rules: readonly Pick<Rule, "when">[]): Promise<Record<string, Segment>> {
  const wanted = [...new Set(segmentsNamed(rules))];
  const found = new Map<string, SegmentRow>();
  // A Durable Object binds at most 100 parameters per statement.
  for (let i = 0; i < wanted.length; i += 90) {
    const rows = await db
      .select()
      .from(segments)
      .where(and(eq(segments.tenantId, tenantId), eq(segments.env, env), inArray(segments.key, wanted.slice(i, i + 90))));
    for (const row of rows) found.set(row.key, row);
  }
  return Object.fromEntries([...found].map(([key, row]) => [key, segmentView(row)]));
}

/** Every flag config of the tenant, in every environment. */
export function readAllFlagConfigs(db: StoreDb, tenantId: string): Promise<FlagConfigRow[]> {
  return db.select().from(flagConfigs).where(eq(flagConfigs.tenantId, tenantId)).orderBy(asc(flagConfigs.env), asc(flagConfigs.flagKey));
}

/** Every segment of the tenant, in every environment. */
export function readAllSegments(db: StoreDb, tenantId: string): Promise<SegmentRow[]> {
  return db.select().from(segments).where(eq(segments.tenantId, tenantId)).orderBy(asc(segments.env), asc(segments.key));
}
