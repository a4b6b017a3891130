/**
 * A directive's report, rebuilt from the database alone (so that the same
 * database gives the same report, before and after a restart): the directive,
 * each change made under it with its saved receipt, what still holds, whether
 * it was lifted, and the audit chain's verification with its head.
 */
import type { FlagConfig } from "@killswitch/sdk";
import { and, asc, eq, inArray } from "drizzle-orm";
import { auditLog, changeLog } from "../db/schema.js";
import { ProblemError } from "../problem.js";
import type { SavedReceipt } from "../receipts/receipt-store.js";
import { addedRuleIds, changeInWords } from "../rules/change-in-words.js";
import { killInWords, ruleInWords } from "../rules/plain-words.js";
import type { DirectiveReport, ReportReceipt } from "../schemas/responses.js";
import { auditEntryView, auditHead, verifyAudit } from "./audit-log.js";
import type { StoreContext } from "./context.js";
import { CHANGE_ENTITIES, getDirective } from "./directives.js";
import { savedReceipts } from "./receipts.js";
import { requireFlagConfig } from "./reads.js";
import { flagConfigView } from "./views.js";

/** Changes a report lists at most, oldest first. */
export const MAX_REPORTED_CHANGES = 2_000;

export async function directiveReport(ctx: StoreContext, tenantId: string, ref: string): Promise<DirectiveReport> {
  const directive = await getDirective(ctx, tenantId, ref);
  const rows = await ctx.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.tenantId, tenantId), eq(auditLog.directive, ref), inArray(auditLog.entity, [...CHANGE_ENTITIES])))
    .orderBy(asc(auditLog.seq))
    .limit(MAX_REPORTED_CHANGES + 1);
  const truncated = rows.length > MAX_REPORTED_CHANGES;
  const entries = rows.slice(0, MAX_REPORTED_CHANGES).map(auditEntryView);

  const versions = new Map<number, { env: string; version: number }[]>();
  const seqs = entries.map((entry) => entry.seq);
  // A Durable Object binds at most 100 parameters per statement.
  for (let i = 0; i < seqs.length; i += 90) {
    const found = await ctx.db
      .select({ seq: changeLog.auditSeq, env: changeLog.env, version: changeLog.version })
      .from(changeLog)
      .where(and(eq(changeLog.tenantId, tenantId), inArray(changeLog.auditSeq, seqs.slice(i, i + 90))))
      .orderBy(asc(changeLog.env), asc(changeLog.version));
    for (const { seq, env, version } of found) if (seq !== null) (versions.get(seq) ?? versions.set(seq, []).get(seq)!).push({ env, version });
  }
  const byEnv = new Map<string, number[]>();
  for (const list of versions.values()) for (const { env, version } of list) (byEnv.get(env) ?? byEnv.set(env, []).get(env)!).push(version);
  const saved = new Map<string, SavedReceipt>();
  for (const [env, list] of byEnv) {
    for (const [version, receipt] of await savedReceipts(ctx, tenantId, env, list)) saved.set(`${env}/${version}`, receipt);
  }

  const changes: DirectiveReport["changes"] = entries.map((entry) => ({
    at: entry.at,
    actor: entry.actor,
    action: entry.action,
    entity: entry.entity,
    key: entry.key,
    flag: entry.entity === "segment" ? null : entry.key,
    env: entry.env,
    text: changeInWords(entry),
    reason: entry.reason,
    audit: { seq: entry.seq, hash: entry.hash },
    versions: (versions.get(entry.seq) ?? []).map(({ env, version }) => {
      const receipt = saved.get(`${env}/${version}`);
      return { env, version, receipt: receipt ? reportReceipt(receipt) : null };
    }),
  }));

  return {
    directive,
    asOf: (await auditHead(ctx, tenantId)).at,
    changes,
    currentState: await currentState(ctx, tenantId, entries),
    lifted: directive.lifted,
    audit: { verification: await verifyAudit(ctx, tenantId), head: await auditHead(ctx, tenantId) },
    truncated,
  };
}

function reportReceipt(receipt: SavedReceipt): ReportReceipt {
  const stragglers = new Map<string, string[]>();
  for (const pending of receipt.pending) (stragglers.get(pending.app) ?? stragglers.set(pending.app, []).get(pending.app)!).push(pending.instance);
  return {
    connected: receipt.connected,
    acked: receipt.acked,
    latencyMs: receipt.latencyMs,
    timeTo100Ms: receipt.complete ? receipt.latencyMs.max : null,
    status: receipt.status,
    complete: receipt.complete,
    savedAt: receipt.savedAt,
    savedBecause: receipt.savedBecause,
    stragglers: [...stragglers].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([app, instances]) => ({ app, instances: instances.sort() })),
  };
}

/** Each kill and rule the directive's config changes made, and whether it is still in place. */
async function currentState(
  ctx: StoreContext,
  tenantId: string,
  entries: { entity: string; key: string; env: string | null; before: unknown; after: unknown }[],
): Promise<DirectiveReport["currentState"]> {
  const out: DirectiveReport["currentState"] = [];
  const current = new Map<string, FlagConfig | null>();
  const configOf = async (env: string, flag: string): Promise<FlagConfig | null> => {
    const key = `${env}/${flag}`;
    if (!current.has(key)) {
      try {
        current.set(key, flagConfigView(await requireFlagConfig(ctx.db, tenantId, env, flag)));
      } catch (error) {
        if (!(error instanceof ProblemError && error.kind === "notFound")) throw error;
        current.set(key, null); // the flag was deleted since
      }
    }
    return current.get(key)!;
  };
  const listed = new Set<string>();
  for (const entry of entries) {
    if (entry.entity !== "flag-config" || entry.env === null) continue;
    const before = entry.before as Partial<FlagConfig> | null;
    const after = entry.after as Partial<FlagConfig> | null;
    const now = await configOf(entry.env, entry.key);
    if (after?.enabled === false && before?.enabled !== false && !listed.has(`${entry.env}/${entry.key}/kill`)) {
      listed.add(`${entry.env}/${entry.key}/kill`);
      out.push({ flag: entry.key, env: entry.env, kind: "kill", ruleId: null, text: killInWords(after.offVariant ?? "off"), holds: now?.enabled === false });
    }
    for (const id of addedRuleIds(before, after)) {
      if (listed.has(`${entry.env}/${entry.key}/${id}`)) continue;
      listed.add(`${entry.env}/${entry.key}/${id}`);
      const rule = (now?.rules ?? []).find((candidate) => candidate.id === id) ?? after?.rules?.find((candidate) => candidate.id === id);
      if (!rule) continue;
      out.push({ flag: entry.key, env: entry.env, kind: "rule", ruleId: id, text: ruleInWords(rule), holds: (now?.rules ?? []).some((r) => r.id === id) });
    }
  }
  return out;
}
