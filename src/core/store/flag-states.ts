/**
 * "What is blocked right now, and why": every flag's state in one environment,
 * each rule in plain words with the segments it names expanded, and the change
 * behind it (who, when, why, under which directive), read from the audit log.
 *
 * The last change of a config is the one that made its version: the change-log
 * row of that version names its audit entry. The origin of a kill or of a rule
 * (since when, by whom) is found by walking the config's audit entries from the
 * newest back to the one that turned it off or added the rule.
 */
import type { FlagConfig, Rule, Segment } from "@killswitch/sdk";
import { and, asc, desc, eq, gt, inArray, lt } from "drizzle-orm";
import { auditLog, changeLog, flagConfigs, flags } from "../db/schema.js";
import { decodeCursor, encodeCursor } from "../paging.js";
import { fallthroughInWords, killInWords, ruleInWords, segmentInWords } from "../rules/plain-words.js";
import { segmentsNamed } from "../references.js";
import type { Page, PageQuery } from "../schemas/paging.js";
import type { BlockView, ChangeRef, FlagState, RuleState, SegmentInWords } from "../schemas/responses.js";
import type { StoreContext } from "./context.js";
import { readFlagConfigsOfEnv, readNamedSegments, requireEnvironment } from "./reads.js";
import { flagConfigView, isoTime, type FlagConfigRow, type FlagRow } from "./views.js";

type AuditRow = typeof auditLog.$inferSelect;

export const changeRefOf = (row: AuditRow): ChangeRef => ({
  at: isoTime(row.at),
  actor: { keyId: row.actorKeyId, name: row.actorName, role: row.actorRole },
  action: row.action,
  reason: row.reason,
  directive: row.directive,
  audit: { seq: row.seq, hash: row.hash },
});

const blocks = (rule: Rule, offVariant: string): boolean => "variant" in rule.serve && rule.serve.variant === offVariant;

function segmentsOf(rule: Pick<Rule, "when">, segments: Record<string, Segment>): SegmentInWords[] {
  return [...new Set(segmentsNamed([rule]))].map((key) => {
    const segment = segments[key];
    return segment
      ? { key, description: segment.description ?? null, text: segmentInWords(segment) }
      : { key, description: null, text: ["(no such segment in this environment)"] };
  });
}

export function ruleState(rule: Rule, offVariant: string, segments: Record<string, Segment>): RuleState {
  return {
    id: rule.id,
    text: ruleInWords(rule),
    blocks: blocks(rule, offVariant),
    when: rule.when,
    serve: rule.serve,
    description: rule.description ?? null,
    directive: rule.directive ?? null,
    segments: segmentsOf(rule, segments),
  };
}

/** The audit entries of the changes that made these versions of an environment, by version. */
async function changesAt(ctx: StoreContext, tenantId: string, env: string, versions: number[]): Promise<Map<number, ChangeRef>> {
  const out = new Map<number, ChangeRef>();
  const wanted = [...new Set(versions.filter((v) => v > 0))];
  // A Durable Object binds at most 100 parameters per statement.
  for (let i = 0; i < wanted.length; i += 90) {
    const rows = await ctx.db
      .select({ version: changeLog.version, audit: auditLog })
      .from(changeLog)
      .innerJoin(auditLog, and(eq(auditLog.tenantId, changeLog.tenantId), eq(auditLog.seq, changeLog.auditSeq)))
      .where(and(eq(changeLog.tenantId, tenantId), eq(changeLog.env, env), inArray(changeLog.version, wanted.slice(i, i + 90))));
    for (const row of rows) out.set(row.version, changeRefOf(row.audit));
  }
  return out;
}

export interface Origins {
  kill: ChangeRef | null;
  rules: Map<string, ChangeRef>;
}

const ORIGIN_CHUNK = 100;

function parseConfig(text: string | null): Partial<FlagConfig> | null {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" ? (value as Partial<FlagConfig>) : null;
  } catch {
    return null; // a tampered row: verification reports it
  }
}

const hasRule = (config: Partial<FlagConfig> | null, id: string): boolean =>
  Array.isArray(config?.rules) && config.rules.some((rule) => rule?.id === id);

/**
 * The audit entries that killed a config (when `kill`) and added each of `ruleIds`,
 * walking its history from the newest entry back until all are found.
 */
export async function originsOf(
  ctx: StoreContext,
  tenantId: string,
  env: string,
  flag: string,
  wanted: { kill: boolean; ruleIds: readonly string[] },
): Promise<Origins> {
  const origins: Origins = { kill: null, rules: new Map() };
  let needKill = wanted.kill;
  const needRules = new Set(wanted.ruleIds);
  let before: number | undefined;
  while (needKill || needRules.size > 0) {
    const rows = await ctx.db
      .select()
      .from(auditLog)
      .where(
        and(
          eq(auditLog.tenantId, tenantId),
          eq(auditLog.entityKey, flag),
          eq(auditLog.entity, "flag-config"),
          eq(auditLog.env, env),
          before === undefined ? undefined : lt(auditLog.seq, before),
        ),
      )
      .orderBy(desc(auditLog.seq))
      .limit(ORIGIN_CHUNK);
    for (const row of rows) {
      const was = parseConfig(row.before);
      const is = parseConfig(row.after);
      if (needKill && is?.enabled === false && was?.enabled !== false) {
        origins.kill = changeRefOf(row);
        needKill = false;
      }
      for (const id of needRules) {
        if (hasRule(is, id) && !hasRule(was, id)) {
          origins.rules.set(id, changeRefOf(row));
          needRules.delete(id);
        }
      }
    }
    if (rows.length < ORIGIN_CHUNK) break;
    before = rows[rows.length - 1]!.seq;
  }
  return origins;
}

/** Every flag's state in an environment, by key, a page at a time. */
export async function listFlagStates(ctx: StoreContext, tenantId: string, env: string, query: PageQuery): Promise<Page<FlagState>> {
  await requireEnvironment(ctx.db, tenantId, env);
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, ["string"] as const)[0];
  const rows = await ctx.db
    .select({ config: flagConfigs, flag: flags })
    .from(flagConfigs)
    .innerJoin(flags, and(eq(flags.tenantId, flagConfigs.tenantId), eq(flags.key, flagConfigs.flagKey)))
    .where(and(eq(flagConfigs.tenantId, tenantId), eq(flagConfigs.env, env), after === undefined ? undefined : gt(flagConfigs.flagKey, after)))
    .orderBy(asc(flagConfigs.flagKey))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const segments = await readNamedSegments(ctx.db, tenantId, env, page.flatMap((row) => row.config.rules));
  const lastChanges = await changesAt(ctx, tenantId, env, page.map((row) => row.config.version));
  const items: FlagState[] = [];
  for (const { config, flag } of page) {
    const kill = config.enabled ? null : (await originsOf(ctx, tenantId, env, flag.key, { kill: true, ruleIds: [] })).kill;
    items.push(flagState(flag, config, segments, lastChanges.get(config.version) ?? null, kill));
  }
  const last = page[page.length - 1];
  return rows.length > query.limit && last ? { items, nextCursor: encodeCursor([last.config.flagKey]) } : { items };
}

function flagState(flag: FlagRow, row: FlagConfigRow, segments: Record<string, Segment>, lastChange: ChangeRef | null, kill: ChangeRef | null): FlagState {
  const config = flagConfigView(row);
  const rules = config.rules.map((rule) => ruleState(rule, config.offVariant, segments));
  const blocking = rules.find((rule) => rule.blocks);
  return {
    key: flag.key,
    kind: flag.kind,
    description: flag.description,
    state: !config.enabled ? "killed" : blocking ? "blocked" : "on",
    enabled: config.enabled,
    offVariant: config.offVariant,
    rules,
    fallthrough: fallthroughInWords(config.fallthrough),
    directive: !config.enabled ? (kill?.directive ?? null) : (blocking?.directive ?? null),
    version: config.version,
    lastChange,
  };
}

/**
 * What serves `offVariant` in an environment today: kills and blocking rules
 * (a rule whose serve is the offVariant), by flag key and rule order, each with
 * the change that made it. Paged by position: the cursor names the last block served.
 */
export async function listBlocks(ctx: StoreContext, tenantId: string, env: string, query: PageQuery): Promise<Page<BlockView>> {
  await requireEnvironment(ctx.db, tenantId, env);
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, ["string", "string"] as const);
  const configs = await readFlagConfigsOfEnv(ctx.db, tenantId, env);
  interface Candidate {
    row: FlagConfigRow;
    rule: Rule | null;
  }
  const all: Candidate[] = [];
  for (const row of configs) {
    if (!row.enabled) all.push({ row, rule: null });
    for (const rule of row.rules) if (blocks(rule, row.offVariant)) all.push({ row, rule });
  }
  const position = (c: Candidate): [string, string] => [c.row.flagKey, c.rule?.id ?? ""];
  const start = after === undefined ? 0 : startAfter(all.map(position), after);
  const page = all.slice(start, start + query.limit);
  const segments = await readNamedSegments(ctx.db, tenantId, env, page.flatMap((c) => (c.rule ? [c.rule] : [])));
  const origins = new Map<string, Origins>();
  for (const row of new Set(page.map((c) => c.row))) {
    const ruleIds = page.filter((c) => c.row === row && c.rule).map((c) => c.rule!.id);
    origins.set(row.flagKey, await originsOf(ctx, tenantId, env, row.flagKey, { kill: !row.enabled, ruleIds }));
  }
  const items = page.map(({ row, rule }): BlockView => {
    const found = origins.get(row.flagKey)!;
    const origin = rule ? (found.rules.get(rule.id) ?? null) : found.kill;
    return {
      flag: row.flagKey,
      kind: rule ? "rule" : "kill",
      ruleId: rule?.id ?? null,
      text: rule ? ruleInWords(rule) : killInWords(row.offVariant),
      directive: rule?.directive ?? origin?.directive ?? null,
      since: origin?.at ?? null,
      by: origin?.actor ?? null,
      reason: origin?.reason ?? null,
      audit: origin?.audit ?? null,
      segments: rule ? segmentsOf(rule, segments) : [],
    };
  });
  const last = page[page.length - 1];
  const more = start + query.limit < all.length;
  return more && last ? { items, nextCursor: encodeCursor(position(last)) } : { items };
}

/**
 * Where the next page starts: after the block the cursor names, or, when that one
 * has gone since (its rule removed), at the next flag.
 */
function startAfter(positions: readonly [string, string][], after: readonly [string, string]): number {
  const at = positions.findIndex(([flag, id]) => flag === after[0] && id === after[1]);
  if (at >= 0) return at + 1;
  const next = positions.findIndex(([flag]) => flag > after[0]);
  return next < 0 ? positions.length : next;
}
