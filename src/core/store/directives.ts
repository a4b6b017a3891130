/**
 * Directives as records. A write links to a directive by carrying its `ref` in
 * `directive` (the audit log keeps it); the record adds what the order says and
 * whether it still holds. A ref that changes carry without a record stays
 * valid free text, listed as `unrecorded`.
 *
 * Status is derived, never stored: `lifted` once lifted, else `in-effect` once a
 * change of a flag, config or segment carries the ref, else `open`. Recording,
 * editing, lifting and deleting are audited (entity `directive`, carrying the ref
 * itself) and bump no environment version.
 */
import { and, asc, count, eq, gt, inArray, isNotNull, isNull, max, min, sql, type SQL } from "drizzle-orm";
import type { Actor } from "../actor.js";
import { auditLog, directives } from "../db/schema.js";
import { decodeCursor, encodeCursor } from "../paging.js";
import { conflict, notFound } from "../problem.js";
import type {
  DirectiveCreateInput,
  DirectiveLiftInput,
  DirectiveListQuery,
  DirectivePatchInput,
  DirectiveStatus,
} from "../schemas/directive.js";
import type { Page } from "../schemas/paging.js";
import type { DirectiveView } from "../schemas/responses.js";
import type { StoreContext } from "./context.js";
import { commitMutation } from "./mutation.js";
import { isoTime } from "./views.js";

export type DirectiveRow = typeof directives.$inferSelect;

/** The audit entities whose changes carry out a directive: what SDKs serve. */
export const CHANGE_ENTITIES = ["flag", "flag-config", "segment"] as const;

/** What the audit log says about one ref. */
interface RefChanges {
  changes: number;
  first: number | null;
  last: number | null;
}

const NO_CHANGES: RefChanges = { changes: 0, first: null, last: null };

/** In a query over `directives`: some change carries the row's ref. */
const carriesChange: SQL = sql`exists (select 1 from ${auditLog} where ${auditLog.tenantId} = ${directives.tenantId} and ${auditLog.directive} = ${directives.ref} and ${inArray(auditLog.entity, [...CHANGE_ENTITIES])})`;

function statusOf(row: DirectiveRow, changes: RefChanges): DirectiveStatus {
  if (row.liftedAt !== null) return "lifted";
  return changes.changes > 0 ? "in-effect" : "open";
}

export function directiveView(row: DirectiveRow, changes: RefChanges): DirectiveView {
  return {
    ref: row.ref,
    status: statusOf(row, changes),
    title: row.title,
    issuer: row.issuer,
    receivedAt: isoTime(row.receivedAt),
    deadline: row.deadline === null ? null : isoTime(row.deadline),
    summary: row.summary,
    createdAt: isoTime(row.createdAt),
    updatedAt: isoTime(row.updatedAt),
    ...changeFields(changes),
    lifted:
      row.liftedAt === null ? null : { at: isoTime(row.liftedAt), reason: row.liftReason ?? "", by: row.liftedBy ?? "" },
  };
}

function unrecordedView(ref: string, changes: RefChanges): DirectiveView {
  return {
    ref,
    status: "unrecorded",
    title: null,
    issuer: null,
    receivedAt: null,
    deadline: null,
    summary: null,
    createdAt: null,
    updatedAt: null,
    ...changeFields(changes),
    lifted: null,
  };
}

const changeFields = (changes: RefChanges) => ({
  changes: changes.changes,
  inEffectSince: changes.first === null ? null : isoTime(changes.first),
  lastChangeAt: changes.last === null ? null : isoTime(changes.last),
});

/** The record as the audit log keeps it in `before`/`after`. */
const recordOf = (row: DirectiveRow) => ({
  ref: row.ref,
  title: row.title,
  issuer: row.issuer,
  receivedAt: isoTime(row.receivedAt),
  deadline: row.deadline === null ? null : isoTime(row.deadline),
  summary: row.summary,
  lifted: row.liftedAt === null ? null : { at: isoTime(row.liftedAt), reason: row.liftReason, by: row.liftedBy },
});

/** The changes carrying each ref, by ref (refs without any are absent). */
async function changesOf(ctx: StoreContext, tenantId: string, refs: readonly string[]): Promise<Map<string, RefChanges>> {
  const out = new Map<string, RefChanges>();
  // A Durable Object binds at most 100 parameters per statement.
  for (let i = 0; i < refs.length; i += 90) {
    const rows = await ctx.db
      .select({ ref: auditLog.directive, changes: count(), first: min(auditLog.at), last: max(auditLog.at) })
      .from(auditLog)
      .where(
        and(
          eq(auditLog.tenantId, tenantId),
          inArray(auditLog.directive, refs.slice(i, i + 90)),
          inArray(auditLog.entity, [...CHANGE_ENTITIES]),
        ),
      )
      .groupBy(auditLog.directive);
    for (const row of rows) {
      if (row.ref !== null) out.set(row.ref, { changes: row.changes, first: row.first, last: row.last });
    }
  }
  return out;
}

async function readDirective(ctx: StoreContext, tenantId: string, ref: string): Promise<DirectiveRow | undefined> {
  const [row] = await ctx.db
    .select()
    .from(directives)
    .where(and(eq(directives.tenantId, tenantId), eq(directives.ref, ref)));
  return row;
}

async function requireDirective(ctx: StoreContext, tenantId: string, ref: string): Promise<DirectiveRow> {
  const row = await readDirective(ctx, tenantId, ref);
  if (!row) throw notFound(`No directive record "${ref}": record it with POST /v1/directives.`);
  return row;
}

/** A recorded directive, or an unrecorded ref that changes carry; 404 when neither. */
export async function getDirective(ctx: StoreContext, tenantId: string, ref: string): Promise<DirectiveView> {
  const row = await readDirective(ctx, tenantId, ref);
  const changes = (await changesOf(ctx, tenantId, [ref])).get(ref) ?? NO_CHANGES;
  if (row) return directiveView(row, changes);
  if (changes.changes > 0) return unrecordedView(ref, changes);
  throw notFound(`No directive "${ref}": no record, and no change carries it.`);
}

/**
 * Recorded directives and unrecorded refs, by ref. Each source is read up to one
 * past the page after the cursor, and the two sorted lists are merged.
 */
export async function listDirectives(ctx: StoreContext, tenantId: string, query: DirectiveListQuery): Promise<Page<DirectiveView>> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, ["string"] as const)[0];
  const take = query.limit + 1;
  const status = query.status;

  let recorded: DirectiveRow[] = [];
  if (status !== "unrecorded") {
    const byStatus: Record<Exclude<DirectiveStatus, "unrecorded">, SQL | undefined> = {
      lifted: isNotNull(directives.liftedAt),
      "in-effect": and(isNull(directives.liftedAt), carriesChange),
      open: and(isNull(directives.liftedAt), sql`not ${carriesChange}`),
    };
    recorded = await ctx.db
      .select()
      .from(directives)
      .where(
        and(
          eq(directives.tenantId, tenantId),
          after === undefined ? undefined : gt(directives.ref, after),
          status === undefined ? undefined : byStatus[status],
        ),
      )
      .orderBy(asc(directives.ref))
      .limit(take);
  }

  let unrecorded: { ref: string; changes: RefChanges }[] = [];
  if (status === undefined || status === "unrecorded") {
    const rows = await ctx.db
      .select({ ref: auditLog.directive, changes: count(), first: min(auditLog.at), last: max(auditLog.at) })
      .from(auditLog)
      .where(
        and(
          eq(auditLog.tenantId, tenantId),
          isNotNull(auditLog.directive),
          after === undefined ? undefined : gt(auditLog.directive, after),
          inArray(auditLog.entity, [...CHANGE_ENTITIES]),
          sql`not exists (select 1 from ${directives} where ${directives.tenantId} = ${auditLog.tenantId} and ${directives.ref} = ${auditLog.directive})`,
        ),
      )
      .groupBy(auditLog.directive)
      .orderBy(asc(auditLog.directive))
      .limit(take);
    unrecorded = rows.map((row) => ({ ref: row.ref!, changes: { changes: row.changes, first: row.first, last: row.last } }));
  }

  const merged = [
    ...recorded.map((row) => ({ ref: row.ref, row })),
    ...unrecorded.map((entry) => ({ ref: entry.ref, row: null, changes: entry.changes })),
  ].sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  const page = merged.slice(0, query.limit);
  const stats = await changesOf(
    ctx,
    tenantId,
    page.filter((entry) => entry.row !== null).map((entry) => entry.ref),
  );
  const items = page.map((entry) =>
    entry.row ? directiveView(entry.row, stats.get(entry.ref) ?? NO_CHANGES) : unrecordedView(entry.ref, entry.changes!),
  );
  const last = page[page.length - 1];
  return merged.length > query.limit && last ? { items, nextCursor: encodeCursor([last.ref]) } : { items };
}

export function createDirective(ctx: StoreContext, tenantId: string, actor: Actor, input: DirectiveCreateInput): Promise<DirectiveView> {
  return commitMutation(ctx, tenantId, actor, async ({ now }) => {
    if (await readDirective(ctx, tenantId, input.ref)) throw conflict(`Directive "${input.ref}" is already recorded.`);
    const row: DirectiveRow = {
      tenantId,
      ref: input.ref,
      title: input.title,
      issuer: input.issuer ?? null,
      receivedAt: input.receivedAt,
      deadline: input.deadline ?? null,
      summary: input.summary ?? null,
      createdAt: now,
      updatedAt: now,
      liftedAt: null,
      liftReason: null,
      liftedBy: null,
    };
    const changes = (await changesOf(ctx, tenantId, [row.ref])).get(row.ref) ?? NO_CHANGES;
    return {
      statements: [ctx.db.insert(directives).values(row)],
      changes: [],
      audit: { action: "directive.create", entity: "directive", key: row.ref, before: null, after: recordOf(row), reason: input.reason, directive: row.ref },
      result: directiveView(row, changes),
    };
  });
}

export function patchDirective(
  ctx: StoreContext,
  tenantId: string,
  actor: Actor,
  ref: string,
  input: DirectivePatchInput,
): Promise<DirectiveView> {
  return commitMutation(ctx, tenantId, actor, async ({ now }) => {
    const before = await requireDirective(ctx, tenantId, ref);
    const after: DirectiveRow = {
      ...before,
      title: input.title ?? before.title,
      issuer: input.issuer === undefined ? before.issuer : input.issuer,
      receivedAt: input.receivedAt ?? before.receivedAt,
      deadline: input.deadline === undefined ? before.deadline : input.deadline,
      summary: input.summary === undefined ? before.summary : input.summary,
      updatedAt: now,
    };
    const changes = (await changesOf(ctx, tenantId, [ref])).get(ref) ?? NO_CHANGES;
    return {
      statements: [
        ctx.db
          .update(directives)
          .set({
            title: after.title,
            issuer: after.issuer,
            receivedAt: after.receivedAt,
            deadline: after.deadline,
            summary: after.summary,
            updatedAt: now,
          })
          .where(and(eq(directives.tenantId, tenantId), eq(directives.ref, ref))),
      ],
      changes: [],
      audit: { action: "directive.update", entity: "directive", key: ref, before: recordOf(before), after: recordOf(after), reason: input.reason, directive: ref },
      result: directiveView(after, changes),
    };
  });
}

/** Marks the directive lifted. The rules made under it stay until removed: lifting a block is a change of its own. */
export function liftDirective(ctx: StoreContext, tenantId: string, actor: Actor, ref: string, input: DirectiveLiftInput): Promise<DirectiveView> {
  return commitMutation(ctx, tenantId, actor, async ({ now }) => {
    const before = await requireDirective(ctx, tenantId, ref);
    if (before.liftedAt !== null) throw conflict(`Directive "${ref}" was already lifted at ${isoTime(before.liftedAt)}.`);
    const after: DirectiveRow = { ...before, liftedAt: now, liftReason: input.reason, liftedBy: actor.name, updatedAt: now };
    const changes = (await changesOf(ctx, tenantId, [ref])).get(ref) ?? NO_CHANGES;
    return {
      statements: [
        ctx.db
          .update(directives)
          .set({ liftedAt: now, liftReason: input.reason, liftedBy: actor.name, updatedAt: now })
          .where(and(eq(directives.tenantId, tenantId), eq(directives.ref, ref))),
      ],
      changes: [],
      audit: { action: "directive.lift", entity: "directive", key: ref, before: recordOf(before), after: recordOf(after), reason: input.reason, directive: ref },
      result: directiveView(after, changes),
    };
  });
}

/** Deletes the record; changes that carry the ref keep it, and it is listed as `unrecorded` from then on. */
export function deleteDirective(ctx: StoreContext, tenantId: string, actor: Actor, ref: string, input: DirectiveLiftInput): Promise<void> {
  return commitMutation(ctx, tenantId, actor, async () => {
    const before = await requireDirective(ctx, tenantId, ref);
    return {
      statements: [ctx.db.delete(directives).where(and(eq(directives.tenantId, tenantId), eq(directives.ref, ref)))],
      changes: [],
      audit: { action: "directive.delete", entity: "directive", key: ref, before: recordOf(before), after: null, reason: input.reason, directive: ref },
      result: undefined,
    };
  });
}
