/**
 * The one write path. A mutation is planned from fresh reads, then committed as one
 * atomic list of statements: the new state, one change-log row per environment it
 * changes, the environment version bumps, and the audit entry.
 *
 * Concurrency: the audit head is read first, the environment versions next, the
 * entities last. A commit landing anywhere after the first read takes the same
 * audit seq (and change-log version), so ours fails as a whole and is planned again
 * from a fresh read; a plan never commits on a torn read. A caller's If-Match is
 * checked in the plan, so a lost race answers 409 on the retry. SQLITE_BUSY (a
 * host's connection never waits for another process's lock: it would hold the
 * event loop) is retried the same way, after a growing pause, until the write
 * budget (5 s from the request's arrival) is spent: then 503 busy. Within one
 * process a tenant's mutations also take turns (SerialQueue), so retries only
 * happen between processes sharing a database.
 */
import type { Segment, WireFlag } from "@killswitch/sdk";
import type { Actor } from "../actor.js";
import { sealEntry, type AuditDraft, type AuditHead, type AuditRow } from "../audit/chain.js";
import type { CommitRecord } from "../events/operator-events.js";
import type { CommittedChange, EnvReset } from "../broadcaster.js";
import type { Statement } from "../db/executor.js";
import { isBusyError, isRetryableWriteError } from "../db/retryable.js";
import { auditLog, changeLog, environments } from "../db/schema.js";
import { ProblemError } from "../problem.js";
import { and, eq } from "drizzle-orm";
import type { StoreContext } from "./context.js";
import { readAuditHead } from "./reads.js";
import { queueStatements } from "./outbox.js";
import type { WebhookEventType } from "../schemas/webhook.js";
import { newEventId, type EventData, type QueuedEvent } from "../webhooks/event.js";

/** A change SDKs of one environment receive: that environment's next version. */
export interface EnvChange {
  env: string;
  /** The environment's new version: the version read in the plan, plus one. */
  version: number;
  entity: "flag" | "segment";
  key: string;
  /** The entity as SDKs receive it; null when it was removed. */
  payload: WireFlag | Segment | null;
}

export interface PlannedMutation<R> {
  statements: Statement[];
  changes: EnvChange[];
  audit: AuditDraft;
  result: R;
  /** A key this mutation revokes: its live connections are closed after the commit. */
  revokedKeyId?: string;
  /** The prefix of a key this mutation creates: the key cache must look it up afresh. */
  createdKeyPrefix?: string;
  /**
   * An environment whose signing keys or epoch this mutation changes: what was signed
   * for it is dropped after the commit, and its sockets are told (`resetEnvironment`).
   */
  resetEnv?: { env: string; cause: EnvReset };
  /**
   * Webhook events beyond `change.committed` (which every change gets): their
   * `data` is added to what every event carries (tenant, action, actor,
   * reason, directive, audit entry).
   */
  events?: PlannedEvent[];
  /** Background work this commit makes due (a scheduled change): the host wakes by then. */
  dueAt?: number;
}

export interface PlannedEvent {
  type: WebhookEventType;
  data: Partial<EventData>;
}

/**
 * A plan that finds nothing to change (a PUT of the current state): answered with
 * `result`, with no commit, no audit entry and nothing broadcast.
 */
export interface UnchangedMutation<R> {
  unchanged: true;
  result: R;
}

export const unchanged = <R>(result: R): UnchangedMutation<R> => ({ unchanged: true, result });

export type PlanOutcome<R> = PlannedMutation<R> | UnchangedMutation<R>;

export interface PlanInput {
  head: AuditHead | null;
  now: number;
}

export function commitMutation<R>(
  ctx: StoreContext,
  tenantId: string,
  actor: Actor,
  plan: (input: PlanInput) => Promise<PlanOutcome<R>>,
): Promise<R> {
  // Counted from arrival: a write queued behind one that waits for the lock does not wait a budget of its own.
  const deadline = ctx.timer.now() + ctx.writeBudgetMs;
  return ctx.writes.run(tenantId, () => planAndCommit(ctx, tenantId, actor, plan, deadline));
}

async function planAndCommit<R>(
  ctx: StoreContext,
  tenantId: string,
  actor: Actor,
  plan: (input: PlanInput) => Promise<PlanOutcome<R>>,
  deadline: number,
): Promise<R> {
  let collisions = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      const head = await readAuditHead(ctx.db, tenantId);
      const now = ctx.clock();
      const planned = await plan({ head, now });
      if ("unchanged" in planned) return planned.result;
      const auditRow = await sealEntry(tenantId, head, now, actor, planned.audit, ctx.sha256);
      const sealed: AuditHead = { seq: auditRow.seq, hash: auditRow.hash };
      const outbox = await queueStatements(ctx, tenantId, now, eventsOf(tenantId, planned, auditRow), planned.changes);
      try {
        await ctx.executor.commit([
          ...planned.statements,
          ...planned.changes.flatMap((change) => changeStatements(ctx, tenantId, now, change, sealed)),
          ctx.db.insert(auditLog).values(auditRow),
          ...outbox,
        ]);
      } catch (error) {
        forget(ctx, tenantId, planned);
        throw error;
      }
      remember(ctx, tenantId, planned);
      observe(ctx, tenantId, auditRow, planned.changes);
      announce(ctx, tenantId, now, planned, sealed);
      if (outbox.length > 0) ctx.onDue(now);
      if (planned.dueAt !== undefined) ctx.onDue(planned.dueAt);
      reportCommit(ctx, tenantId, now, actor, planned, sealed);
      reportSealed(ctx, actor, sealed);
      return planned.result;
    } catch (error) {
      if (!isRetryableWriteError(error)) throw error;
      if (isBusyError(error)) {
        const pause = busyPause(attempt);
        if (ctx.timer.now() + pause > deadline) {
          throw new ProblemError("busy", `Another process held the database's write lock for the ${ctx.writeBudgetMs / 1000} s this write may wait; retry the request.`);
        }
        await ctx.timer.sleep(pause);
      } else {
        if (++collisions >= ctx.maxAttempts) {
          throw new ProblemError("busy", "Too many concurrent writes to this tenant; retry the request.");
        }
        await ctx.timer.sleep(Math.random() * Math.min(50, 2 ** attempt));
      }
    }
  }
}

/**
 * The webhook events of a commit: `change.committed` for each environment it
 * changes, and the plan's own; each carries the sealed audit entry's who, why
 * and where in the chain.
 */
function eventsOf<R>(tenantId: string, planned: PlannedMutation<R>, audit: AuditRow): QueuedEvent[] {
  const base = {
    tenant: tenantId,
    env: audit.env,
    version: null,
    flag: null,
    entity: audit.entity,
    key: audit.entityKey,
    action: audit.action,
    actor: { keyId: audit.actorKeyId, name: audit.actorName, role: audit.actorRole },
    reason: audit.reason,
    directive: audit.directive,
    audit: { seq: audit.seq, hash: audit.hash },
  };
  const committed: QueuedEvent[] = planned.changes.map((change) => ({
    id: newEventId(),
    type: "change.committed",
    data: {
      ...base,
      env: change.env,
      version: change.version,
      flag: change.entity === "flag" ? change.key : null,
      entity: change.entity,
      key: change.key,
    },
  }));
  const own: QueuedEvent[] = (planned.events ?? []).map((event) => ({ id: newEventId(), type: event.type, data: { ...base, ...event.data } }));
  return [...committed, ...own];
}

/**
 * 5, 10, 20 … 250 ms, each cut by up to half at random: a lock held for a moment
 * is seen free soon, and a long hold costs each waiting write about five plans a
 * second (bench/README.md, "A held write lock").
 */
const busyPause = (attempt: number): number => Math.min(250, 5 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);

function changeStatements(ctx: StoreContext, tenantId: string, now: number, change: EnvChange, audit: AuditHead): Statement[] {
  return [
    ctx.db.insert(changeLog).values({
      tenantId,
      env: change.env,
      version: change.version,
      entity: change.entity,
      key: change.key,
      payload: change.payload === null ? null : JSON.stringify(change.payload),
      committedAt: now,
      auditSeq: audit.seq,
      auditHash: audit.hash,
    }),
    ctx.db
      .update(environments)
      .set({ version: change.version })
      .where(and(eq(environments.tenantId, tenantId), eq(environments.key, change.env))),
  ];
}

/**
 * Brings the store's caches up to a commit, synchronously, before the write is
 * answered: the next request sees the new versions and looks changed keys up again.
 */
function remember<R>(ctx: StoreContext, tenantId: string, planned: PlannedMutation<R>): void {
  for (const change of planned.changes) ctx.versions.raise(tenantId, change.env, change.version);
  forgetKeys(ctx, tenantId, planned);
}

/** After a failed commit, which may have landed all the same: the next read goes to the database. */
function forget<R>(ctx: StoreContext, tenantId: string, planned: PlannedMutation<R>): void {
  for (const change of planned.changes) ctx.versions.invalidate(tenantId, change.env);
  forgetKeys(ctx, tenantId, planned);
}

function forgetKeys<R>(ctx: StoreContext, tenantId: string, planned: PlannedMutation<R>): void {
  if (planned.revokedKeyId !== undefined) ctx.keys.invalidateKey(tenantId, planned.revokedKeyId);
  if (planned.createdKeyPrefix !== undefined) ctx.keys.invalidatePrefix(tenantId, planned.createdKeyPrefix);
  if (planned.resetEnv !== undefined) {
    ctx.signing.drop(tenantId, planned.resetEnv.env);
    // A new epoch follows a restore, whose versions may be lower than the ones this store knew.
    if (planned.resetEnv.cause === "epoch") ctx.versions.invalidate(tenantId, planned.resetEnv.env);
  }
}

/** Tells the commit observer (operator events); a failing observer never fails a committed write. */
function observe(ctx: StoreContext, tenantId: string, audit: AuditRow, changes: EnvChange[]): void {
  if (!ctx.events) return;
  try {
    ctx.events.committed(commitRecord(tenantId, audit, changes));
  } catch (error) {
    ctx.report(error);
  }
}

export function commitRecord(tenantId: string, audit: AuditRow, changes: readonly Pick<EnvChange, "env" | "version" | "entity" | "key">[]): CommitRecord {
  return {
    tenantId,
    audit: {
      seq: audit.seq,
      hash: audit.hash,
      at: audit.at,
      actor: { keyId: audit.actorKeyId, name: audit.actorName, role: audit.actorRole },
      action: audit.action,
      entity: audit.entity,
      key: audit.entityKey,
      env: audit.env,
      reason: audit.reason,
      directive: audit.directive,
    },
    changes: changes.map(({ env, version, entity, key }) => ({ env, version, entity, key })),
  };
}

/** Tells the broadcaster; a failing broadcaster never fails a committed write. */
function announce<R>(ctx: StoreContext, tenantId: string, now: number, planned: PlannedMutation<R>, audit: AuditHead): void {
  for (const change of planned.changes) {
    try {
      ctx.broadcaster.publish(toCommittedChange(tenantId, now, change, audit));
    } catch (error) {
      ctx.report(error);
    }
  }
  if (planned.revokedKeyId !== undefined) {
    try {
      ctx.broadcaster.keyRevoked(tenantId, planned.revokedKeyId);
    } catch (error) {
      ctx.report(error);
    }
  }
  if (planned.resetEnv !== undefined) {
    try {
      ctx.broadcaster.resetEnvironment?.(tenantId, planned.resetEnv.env, planned.resetEnv.cause, audit.seq);
    } catch (error) {
      ctx.report(error);
    }
  }
}

/** `audit`: the audit entry of the same commit, when known. */
export function toCommittedChange(tenantId: string, committedAt: number, change: EnvChange, audit?: AuditHead | null): CommittedChange {
  const committed: CommittedChange = {
    tenantId,
    env: change.env,
    version: change.version,
    prev: change.version - 1,
    committedAt,
    // Keyed by stored keys: no prototype, so no name is special.
    flags: Object.create(null),
    segments: Object.create(null),
    removed: { flags: [], segments: [] },
  };
  if (audit) committed.audit = { seq: audit.seq, hash: audit.hash };
  if (change.entity === "flag") {
    if (change.payload === null) committed.removed.flags.push(change.key);
    else committed.flags[change.key] = change.payload as WireFlag;
  } else if (change.payload === null) {
    committed.removed.segments.push(change.key);
  } else {
    committed.segments[change.key] = change.payload as Segment;
  }
  return committed;
}

/** Metrics and the log hear of the commit; a failing telemetry never fails a committed write. */
function reportCommit<R>(ctx: StoreContext, tenantId: string, at: number, actor: Actor, planned: PlannedMutation<R>, audit: AuditHead): void {
  try {
    ctx.telemetry.changeCommitted({
      tenantId,
      action: planned.audit.action,
      entity: planned.audit.entity,
      key: planned.audit.key,
      versions: planned.changes.map(({ env, version }) => ({ env, version })),
      audit,
      actor: { keyId: actor.keyId, role: actor.role },
      at,
    });
  } catch (error) {
    ctx.report(error);
  }
}

/** The caller learns the chain head its write sealed (the HTTP layer puts it into the answer). */
function reportSealed(ctx: StoreContext, actor: Actor, sealed: AuditHead): void {
  try {
    actor.onSealed?.(sealed);
  } catch (error) {
    ctx.report(error);
  }
}
