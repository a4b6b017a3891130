/**
 * Scheduled changes: a kill, restore, block or rule removal given `at` is kept
 * as an entry and made by the scheduler when it falls due; a kill or block given
 * `until` schedules its own lift in the commit that makes it.
 *
 * - **Checked twice.** Scheduling plans the change against the state of the
 *   moment, through the same checks as a write made now (references, declared
 *   attributes, the SDK's compiler), and refuses what would fail (400, 404,
 *   409). Applying plans it again from fresh reads: a change that can no longer
 *   apply (the flag or rule is gone, a segment deleted, the compiler refuses
 *   it) is recorded `skipped` with the cause, audited, and never retried.
 * - **Once.** The scheduler claims due entries in the database, then applies
 *   each in one commit with its new status; that commit takes the tenant's next
 *   audit seq, so even a claim that lapsed while another process took the entry
 *   over cannot apply it twice: the loser's plan reads the entry as applied.
 * - **Audited.** The applied change is audited as the action it is
 *   (`flag.kill` …), with the actor `scheduler`, the key that scheduled it, and
 *   the reason and directive given then. Scheduling (`schedule.create`),
 *   cancelling (`schedule.cancel`) and skipping (`schedule.skip`) are audited too.
 */
import { and, asc, eq, gt, or, sql, type SQL } from "drizzle-orm";
import { schedulerActor, type Actor } from "../actor.js";
import { randomAlphanumeric } from "../crypto.js";
import { changeLog, flagConfigs, scheduledChanges } from "../db/schema.js";
import { decodeCursor, toPage } from "../paging.js";
import { conflict, invalidField, notFound, ProblemError } from "../problem.js";
import type { Page } from "../schemas/paging.js";
import {
  MAX_SCHEDULE_AHEAD_MS,
  type ScheduleCancelInput,
  type ScheduledAction,
  type ScheduledBlock,
  type ScheduleParams,
  type ScheduleQuery,
  type ScheduleView,
} from "../schemas/schedule.js";
import type { VersionAnswer } from "../schemas/responses.js";
import { claimDue } from "./claim-due.js";
import type { StoreContext } from "./context.js";
import {
  blockEditor,
  blockErrorPaths,
  enabledEditor,
  planConfigEdit,
  removeRuleEditor,
  type ConfigEditor,
  type WriteOptions,
} from "./flag-configs.js";
import { commitMutation, unchanged, type PlannedMutation, type PlanOutcome } from "./mutation.js";
import { requireEnvironment } from "./reads.js";

type ScheduleRow = typeof scheduledChanges.$inferSelect;

/** Applied or skipped this long after its time, an entry is marked `late`: the promise is to apply within a second. */
export const LATE_AFTER_MS = 1_000;

/** A failed attempt (a busy or faulty database) is tried again after 1, 2, 4 … 60 s. */
const MAX_RETRY_PAUSE_MS = 60_000;

const iso = (ms: number): string => new Date(ms).toISOString();

export const newScheduleId = (): string => `sch_${randomAlphanumeric(16)}`;

/**
 * An instant from the request, which must lie ahead of `now`, at most a year,
 * and after `after` when given (`until` after `at`).
 */
export function checkedInstant(path: "at" | "until", text: string, now: number, after?: number): number {
  const at = Date.parse(text);
  if (!(at > now)) throw invalidField(path, `must be in the future (the server's time is ${iso(now)})`, "not_in_future");
  if (at > now + MAX_SCHEDULE_AHEAD_MS) {
    throw invalidField(path, `must be at most a year ahead (before ${iso(now + MAX_SCHEDULE_AHEAD_MS)})`, "too_far_ahead");
  }
  if (after !== undefined && at <= after) throw invalidField(path, `must be after at (${iso(after)})`, "before_at");
  return at;
}

interface AuditFields {
  reason: string;
  directive?: string | undefined;
}

interface NewEntry {
  tenantId: string;
  env: string;
  key: string;
  action: ScheduledAction;
  params: ScheduleParams;
  at: number;
  origin: "at" | "until";
  input: AuditFields;
  /** The key that scheduled it (for a lift: the key that made the change it lifts). */
  keyId: string | null;
  keyName: string;
  now: number;
}

function newRow(entry: NewEntry): ScheduleRow {
  return {
    tenantId: entry.tenantId,
    id: newScheduleId(),
    env: entry.env,
    flagKey: entry.key,
    action: entry.action,
    params: entry.params,
    at: entry.at,
    origin: entry.origin,
    reason: entry.input.reason,
    directive: entry.input.directive ?? null,
    createdByKeyId: entry.keyId,
    createdByName: entry.keyName,
    createdAt: entry.now,
    status: "pending",
    claimToken: null,
    claimedUntil: null,
    doneAt: null,
    late: null,
    version: null,
    auditSeq: null,
    cause: null,
    failures: 0,
  };
}

export function scheduleView(row: ScheduleRow): ScheduleView {
  const view: ScheduleView = {
    id: row.id,
    env: row.env,
    flag: row.flagKey,
    action: row.action,
    at: iso(row.at),
    origin: row.origin,
    status: row.status,
    reason: row.reason,
    createdAt: iso(row.createdAt),
    createdBy: { keyId: row.createdByKeyId, name: row.createdByName },
  };
  if (row.directive !== null) view.directive = row.directive;
  if (row.params.block !== undefined) view.block = row.params.block;
  if (row.params.ruleId !== undefined) view.ruleId = row.params.ruleId;
  if (row.params.until !== undefined) view.until = iso(row.params.until);
  if (row.doneAt !== null) {
    if (row.status === "applied") view.appliedAt = iso(row.doneAt);
    if (row.status === "skipped") view.skippedAt = iso(row.doneAt);
    if (row.status === "cancelled") view.cancelledAt = iso(row.doneAt);
  }
  if (row.late !== null) view.late = row.late;
  if (row.version !== null) view.version = row.version;
  if (row.auditSeq !== null) view.auditSeq = row.auditSeq;
  if (row.cause !== null) view.cause = row.cause;
  return view;
}

/** The config edit an entry makes. */
function editorOf(row: Pick<ScheduleRow, "env" | "flagKey" | "action" | "params">, input: AuditFields): ConfigEditor<VersionAnswer> {
  switch (row.action) {
    case "kill":
      return enabledEditor(false, input);
    case "restore":
      return enabledEditor(true, input);
    case "block":
      return blockEditor(row.params.block ?? {}, input);
    case "rule.remove":
      return removeRuleEditor(row.env, row.flagKey, row.params.ruleId ?? "", input);
  }
}

/** What lifts a change made with `until`: a kill's restore, or the removal of a block's rule. */
export interface LiftSpec {
  env: string;
  key: string;
  action: "restore" | "rule.remove";
  input: AuditFields;
}

/** Adds to a planned kill or block the entry that lifts it at `until`, committed with it. */
export function withLift(
  ctx: StoreContext,
  tenantId: string,
  actor: Actor,
  planned: PlanOutcome<VersionAnswer>,
  now: number,
  until: number,
  lift: LiftSpec,
): PlanOutcome<VersionAnswer> {
  if ("unchanged" in planned) return planned;
  const params: ScheduleParams =
    lift.action === "restore" ? { sinceVersion: planned.result.version } : { ruleId: planned.result.ruleId ?? "" };
  const row = newRow({
    tenantId,
    env: lift.env,
    key: lift.key,
    action: lift.action,
    params,
    at: until,
    origin: "until",
    input: lift.input,
    keyId: actor.keyId,
    keyName: actor.name,
    now,
  });
  return {
    ...planned,
    statements: [...planned.statements, ctx.db.insert(scheduledChanges).values(row)],
    result: { ...planned.result, schedule: scheduleView(row) },
    dueAt: until,
  };
}

/** The request to schedule one action (a kill, restore, block or rule removal given `at`). */
export interface ScheduleRequest {
  action: ScheduledAction;
  input: AuditFields & { at: string; until?: string | undefined };
  block?: ScheduledBlock;
  ruleId?: string;
}

/**
 * Schedules a change for `at`, once it passes every check a change made now
 * would pass: answers the entry (the route answers 202).
 */
export function createScheduled(
  ctx: StoreContext,
  tenantId: string,
  actor: Actor,
  env: string,
  key: string,
  request: ScheduleRequest,
  options: WriteOptions = {},
): Promise<{ schedule: ScheduleView }> {
  return commitMutation(ctx, tenantId, actor, async ({ now }) => {
    const at = checkedInstant("at", request.input.at, now);
    const until = request.input.until === undefined ? undefined : checkedInstant("until", request.input.until, now, at);
    const params: ScheduleParams = {};
    if (request.block !== undefined) params.block = request.block;
    if (request.ruleId !== undefined) params.ruleId = request.ruleId;
    if (until !== undefined) params.until = until;
    const audit = { reason: request.input.reason, directive: request.input.directive };
    // Planned and dropped: what would fail now is refused now.
    const check = planConfigEdit(ctx, tenantId, env, key, options, now, editorOf({ env, flagKey: key, action: request.action, params }, audit));
    await (request.action === "block" ? check.catch(blockErrorPaths) : check);
    const row = newRow({ tenantId, env, key, action: request.action, params, at, origin: "at", input: audit, keyId: actor.keyId, keyName: actor.name, now });
    const view = scheduleView(row);
    return {
      statements: [ctx.db.insert(scheduledChanges).values(row)],
      changes: [],
      audit: { action: "schedule.create", entity: "schedule", key: row.id, env, before: null, after: view, reason: row.reason, directive: row.directive },
      result: { schedule: view },
      dueAt: at,
    };
  });
}

async function readRow(ctx: StoreContext, tenantId: string, id: string): Promise<ScheduleRow | undefined> {
  const [row] = await ctx.db
    .select()
    .from(scheduledChanges)
    .where(and(eq(scheduledChanges.tenantId, tenantId), eq(scheduledChanges.id, id)));
  return row;
}

export async function getScheduled(ctx: StoreContext, tenantId: string, id: string): Promise<ScheduleView> {
  const row = await readRow(ctx, tenantId, id);
  if (!row) throw notFound(`No scheduled change "${id}".`);
  return scheduleView(row);
}

/** An environment's entries, by due time; pending ones unless `status` says otherwise. */
export async function listScheduled(ctx: StoreContext, tenantId: string, env: string, query: ScheduleQuery): Promise<Page<ScheduleView>> {
  await requireEnvironment(ctx.db, tenantId, env);
  const conditions: SQL[] = [eq(scheduledChanges.tenantId, tenantId), eq(scheduledChanges.env, env)];
  if (query.status !== "all") conditions.push(eq(scheduledChanges.status, query.status));
  if (query.cursor !== undefined) {
    const [at, id] = decodeCursor(query.cursor, ["number", "string"] as const);
    conditions.push(or(gt(scheduledChanges.at, at), and(eq(scheduledChanges.at, at), gt(scheduledChanges.id, id)))!);
  }
  const rows = await ctx.db
    .select()
    .from(scheduledChanges)
    .where(and(...conditions))
    .orderBy(asc(scheduledChanges.at), asc(scheduledChanges.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, scheduleView, (row) => [row.at, row.id]);
}

/** Cancels a pending entry (409 once it was applied, skipped or cancelled). */
export function cancelScheduled(
  ctx: StoreContext,
  tenantId: string,
  actor: Actor,
  id: string,
  input: ScheduleCancelInput,
): Promise<ScheduleView> {
  return commitMutation(ctx, tenantId, actor, async ({ now }) => {
    const row = await readRow(ctx, tenantId, id);
    if (!row) throw notFound(`No scheduled change "${id}".`);
    if (row.status !== "pending") {
      throw conflict(`The scheduled change "${id}" was already ${row.status}${row.doneAt === null ? "" : ` at ${iso(row.doneAt)}`}: only a pending one can be cancelled.`);
    }
    const done: ScheduleRow = { ...row, status: "cancelled", doneAt: now, cause: input.reason, claimToken: null, claimedUntil: null };
    return {
      statements: [
        ctx.db
          .update(scheduledChanges)
          .set({ status: "cancelled", doneAt: now, cause: input.reason, claimToken: null, claimedUntil: null })
          .where(and(eq(scheduledChanges.tenantId, tenantId), eq(scheduledChanges.id, id), eq(scheduledChanges.status, "pending"))),
      ],
      changes: [],
      audit: {
        action: "schedule.cancel",
        entity: "schedule",
        key: id,
        env: row.env,
        before: scheduleView(row),
        after: scheduleView(done),
        reason: input.reason,
        directive: input.directive,
      },
      result: scheduleView(done),
    };
  });
}

/** An entry the scheduler claimed. */
export interface ClaimedSchedule {
  tenantId: string;
  id: string;
}

/** Claims up to `limit` due entries of every tenant, earliest first, for `leaseMs`. */
export async function claimDueSchedules(ctx: StoreContext, now: number, limit: number, leaseMs: number): Promise<ClaimedSchedule[]> {
  const token = await claimDue(
    ctx,
    { table: scheduledChanges, due: (s) => sql`${s.status} = 'pending' and ${s.at} <= ${now}`, order: (s) => s.at },
    now,
    limit,
    leaseMs,
  );
  return ctx.db
    .select({ tenantId: scheduledChanges.tenantId, id: scheduledChanges.id })
    .from(scheduledChanges)
    .where(and(eq(scheduledChanges.claimToken, token), eq(scheduledChanges.status, "pending")))
    .orderBy(asc(scheduledChanges.at));
}

/** What became of a due entry. */
export interface ScheduleOutcome {
  status: "applied" | "skipped";
  late: boolean;
  cause?: string;
  version?: number;
}

/**
 * Applies a due entry, or records it skipped with the cause; null when it is no
 * longer pending (another process applied it, or it was cancelled).
 */
export async function applyScheduled(ctx: StoreContext, tenantId: string, id: string): Promise<ScheduleOutcome | null> {
  const first = await readRow(ctx, tenantId, id);
  if (!first || first.status !== "pending") return null;
  return commitMutation(ctx, tenantId, schedulerActor(first.createdByKeyId), async ({ head, now }): Promise<PlanOutcome<ScheduleOutcome | null>> => {
    const row = await readRow(ctx, tenantId, id);
    if (!row || row.status !== "pending") return unchanged(null);
    const late = now - row.at > LATE_AFTER_MS;
    const auditSeq = (head?.seq ?? 0) + 1;
    const input = { reason: row.reason, directive: row.directive ?? undefined };
    let planned: PlanOutcome<VersionAnswer>;
    try {
      const cause = await liftCause(ctx, row);
      if (cause !== null) return skipPlan(ctx, row, cause, now, late, auditSeq);
      planned = await planConfigEdit(ctx, row.tenantId, row.env, row.flagKey, {}, now, editorOf(row, input));
    } catch (error) {
      // The change can no longer apply: recorded once, never retried.
      if (error instanceof ProblemError && error.status < 500) return skipPlan(ctx, row, error.message, now, late, auditSeq);
      throw error;
    }
    if ("unchanged" in planned) return skipPlan(ctx, row, "nothing to change", now, late, auditSeq);
    const version = planned.result.version;
    const params: ScheduleParams = planned.result.ruleId === undefined ? row.params : { ...row.params, ruleId: planned.result.ruleId };
    const applied: ScheduleRow = { ...row, params, status: "applied", doneAt: now, late, version, auditSeq, claimToken: null, claimedUntil: null };
    const statements = [
      ...planned.statements,
      ctx.db
        .update(scheduledChanges)
        .set({ params, status: "applied", doneAt: now, late, version, auditSeq, claimToken: null, claimedUntil: null })
        .where(and(eq(scheduledChanges.tenantId, row.tenantId), eq(scheduledChanges.id, row.id))),
    ];
    let dueAt: number | undefined;
    if (row.params.until !== undefined) {
      // A scheduled kill or block with `until`: its lift is scheduled as it is made.
      const lift = newRow({
        tenantId: row.tenantId,
        env: row.env,
        key: row.flagKey,
        action: row.action === "block" ? "rule.remove" : "restore",
        params: row.action === "block" ? { ruleId: planned.result.ruleId ?? "" } : { sinceVersion: version },
        at: row.params.until,
        origin: "until",
        input,
        keyId: row.createdByKeyId,
        keyName: row.createdByName,
        now,
      });
      statements.push(ctx.db.insert(scheduledChanges).values(lift));
      dueAt = lift.at;
    }
    const mutation: PlannedMutation<ScheduleOutcome> = {
      ...planned,
      statements,
      events: [{ type: "schedule.applied", data: { env: row.env, version, flag: row.flagKey, schedule: scheduleView(applied) } }],
      result: { status: "applied", late, version },
    };
    if (dueAt !== undefined) mutation.dueAt = dueAt;
    return mutation;
  });
}

/** The skip of an entry that can no longer apply: its status and cause, audited. */
function skipPlan(ctx: StoreContext, row: ScheduleRow, cause: string, now: number, late: boolean, auditSeq: number): PlannedMutation<ScheduleOutcome> {
  const skipped: ScheduleRow = { ...row, status: "skipped", doneAt: now, late, cause, auditSeq, claimToken: null, claimedUntil: null };
  const view = scheduleView(skipped);
  return {
    statements: [
      ctx.db
        .update(scheduledChanges)
        .set({ status: "skipped", doneAt: now, late, cause, auditSeq, claimToken: null, claimedUntil: null })
        .where(and(eq(scheduledChanges.tenantId, row.tenantId), eq(scheduledChanges.id, row.id))),
    ],
    changes: [],
    audit: { action: "schedule.skip", entity: "schedule", key: row.id, env: row.env, before: scheduleView(row), after: view, reason: row.reason, directive: row.directive },
    events: [{ type: "schedule.applied", data: { env: row.env, flag: row.flagKey, schedule: view } }],
    result: { status: "skipped", late, cause },
  };
}

/**
 * Why the lift of a kill no longer applies, or null: the flag was restored
 * after the kill (and perhaps killed again by someone else since, whose kill
 * this lift must not undo), or deleted.
 */
async function liftCause(ctx: StoreContext, row: ScheduleRow): Promise<string | null> {
  if (row.origin !== "until" || row.action !== "restore" || row.params.sinceVersion === undefined) return null;
  const [config] = await ctx.db
    .select({ enabled: flagConfigs.enabled })
    .from(flagConfigs)
    .where(and(eq(flagConfigs.tenantId, row.tenantId), eq(flagConfigs.env, row.env), eq(flagConfigs.flagKey, row.flagKey)));
  if (config === undefined) return null; // the plan answers 404 with its own words
  const later = await ctx.db
    .select({ version: changeLog.version, payload: changeLog.payload })
    .from(changeLog)
    .where(
      and(
        eq(changeLog.tenantId, row.tenantId),
        eq(changeLog.env, row.env),
        gt(changeLog.version, row.params.sinceVersion),
        eq(changeLog.entity, "flag"),
        eq(changeLog.key, row.flagKey),
      ),
    )
    .orderBy(asc(changeLog.version));
  for (const change of later) {
    if (change.payload === null) return `the flag was deleted at version ${change.version}`;
    if ((JSON.parse(change.payload) as { enabled?: unknown }).enabled === true) {
      return config.enabled
        ? `the kill was already lifted at version ${change.version}`
        : `the kill was lifted at version ${change.version} and the flag killed again since: that later kill is not this entry's to lift`;
    }
  }
  return null;
}

/** After a failed attempt (busy or faulty database): released, and tried again after a growing pause. */
export async function deferScheduled(ctx: StoreContext, tenantId: string, id: string, now: number): Promise<void> {
  const row = await readRow(ctx, tenantId, id);
  if (!row || row.status !== "pending") return;
  const pause = Math.min(MAX_RETRY_PAUSE_MS, 1000 * 2 ** row.failures);
  await ctx.executor.commit([
    ctx.db
      .update(scheduledChanges)
      .set({ failures: row.failures + 1, claimToken: null, claimedUntil: now + pause })
      .where(and(eq(scheduledChanges.tenantId, tenantId), eq(scheduledChanges.id, id), eq(scheduledChanges.status, "pending"))),
  ]);
  ctx.onDue(now + pause);
}

/** When the next pending entry falls due (its time, or its claim's end), or null when none is pending. */
export async function nextScheduledAt(ctx: StoreContext): Promise<number | null> {
  const row = await ctx.db.get<{ next: number | null }>(
    sql`select min(max(s.at, coalesce(s.claimed_until, 0))) as next from scheduled_changes s where s.status = 'pending'`,
  );
  return row?.next == null ? null : Number(row.next);
}

/** Pending entries, and how many of them are due (of every tenant in this database). */
export async function scheduleCounts(ctx: StoreContext, now: number): Promise<{ pending: number; due: number }> {
  const row = await ctx.db.get<{ pending: number | null; due: number | null }>(
    sql`select count(*) as pending, sum(case when s.at <= ${now} then 1 else 0 end) as due from scheduled_changes s where s.status = 'pending'`,
  );
  return { pending: Number(row?.pending ?? 0), due: Number(row?.due ?? 0) };
}
