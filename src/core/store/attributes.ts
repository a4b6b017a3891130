/**
 * Declared context attributes of a tenant: the built-ins (never stored) and the
 * tenant's own rows. Declaring is audited like every mutation; SDKs never receive
 * declarations, so no environment version moves.
 */
import { and, asc, count, eq, gt } from "drizzle-orm";
import type { Actor } from "../actor.js";
import { BUILT_IN_ATTRIBUTES, builtInAttribute } from "../attributes/builtin.js";
import type { Declarations } from "../attributes/check.js";
import { attributeUses, describeUses } from "../attributes/uses.js";
import { canonicalJson } from "../canonical-json.js";
import type { StoreDb } from "../db/executor.js";
import { attributes } from "../db/schema.js";
import { decodeCursor, encodeCursor } from "../paging.js";
import { conflict, invalidField, notFound } from "../problem.js";
import { MAX_ATTRIBUTES, type AttributeCreateInput, type AttributePutInput } from "../schemas/attribute.js";
import type { DeleteInput } from "../schemas/admin.js";
import type { Page, PageQuery } from "../schemas/paging.js";
import type { AttributeView } from "../schemas/responses.js";
import type { StoreContext } from "./context.js";
import { commitMutation, unchanged, type PlannedMutation } from "./mutation.js";
import { readAllFlagConfigs, readAllSegments } from "./reads.js";

type AttributeRow = typeof attributes.$inferSelect;

export function attributeView(row: AttributeRow): AttributeView {
  const view: AttributeView = { name: row.name, list: row.list, builtIn: false };
  if (row.type !== null) view.type = row.type;
  if (row.codes !== null) view.codes = row.codes;
  if (row.description !== null) view.description = row.description;
  return view;
}

/** What a declaration says, without its name or origin: two equal ones change nothing. */
const declarationOf = (view: AttributeView) => canonicalJson({ type: view.type, list: view.list, codes: view.codes, description: view.description });

function readRow(db: StoreDb, tenantId: string, name: string): Promise<AttributeRow | undefined> {
  return db
    .select()
    .from(attributes)
    .where(and(eq(attributes.tenantId, tenantId), eq(attributes.name, name)))
    .then((rows) => rows[0]);
}

/** Every declaration of the tenant by name, built-ins included. */
export async function readDeclarations(db: StoreDb, tenantId: string): Promise<Declarations> {
  const rows = await db.select().from(attributes).where(eq(attributes.tenantId, tenantId));
  const declared = new Map<string, AttributeView>(BUILT_IN_ATTRIBUTES.map((attribute) => [attribute.name, attribute]));
  for (const row of rows) declared.set(row.name, attributeView(row));
  return declared;
}

/** Built-ins and declared attributes merged in name order, paged by name. */
export async function listAttributes(ctx: StoreContext, tenantId: string, query: PageQuery): Promise<Page<AttributeView>> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, ["string"] as const)[0];
  const rows = await ctx.db
    .select()
    .from(attributes)
    .where(and(eq(attributes.tenantId, tenantId), after === undefined ? undefined : gt(attributes.name, after)))
    .orderBy(asc(attributes.name))
    .limit(query.limit + 1);
  const builtIns = BUILT_IN_ATTRIBUTES.filter((attribute) => after === undefined || attribute.name > after);
  // Names are ASCII (ATTRIBUTE_NAME_PATTERN): SQLite's byte order and JavaScript's agree.
  const merged = [...rows.map(attributeView), ...builtIns].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const items = merged.slice(0, query.limit);
  const page: Page<AttributeView> = { items };
  const last = items[items.length - 1];
  if (merged.length > query.limit && last !== undefined) page.nextCursor = encodeCursor([last.name]);
  return page;
}

export async function getAttribute(ctx: StoreContext, tenantId: string, name: string): Promise<AttributeView> {
  const builtIn = builtInAttribute(name);
  if (builtIn) return builtIn;
  const row = await readRow(ctx.db, tenantId, name);
  if (!row) throw notFound(`No attribute "${name}".`);
  return attributeView(row);
}

type Declaration = Pick<AttributeCreateInput, "type" | "list" | "codes" | "description">;

function toRow(tenantId: string, name: string, input: Declaration, createdAt: number, now: number): AttributeRow {
  return {
    tenantId,
    name,
    type: input.type ?? null,
    list: input.list,
    codes: input.codes ?? null,
    description: input.description ?? null,
    createdAt,
    updatedAt: now,
  };
}

async function checkRoom(ctx: StoreContext, tenantId: string): Promise<void> {
  const [row] = await ctx.db.select({ n: count() }).from(attributes).where(eq(attributes.tenantId, tenantId));
  if ((row?.n ?? 0) >= MAX_ATTRIBUTES) throw conflict(`A tenant may declare at most ${MAX_ATTRIBUTES} attributes; delete unused ones first.`);
}

function inserted(
  ctx: StoreContext,
  row: AttributeRow,
  input: { reason?: string | undefined; directive?: string | undefined },
): PlannedMutation<AttributeView> {
  const view = attributeView(row);
  return {
    statements: [ctx.db.insert(attributes).values(row)],
    changes: [],
    audit: { action: "attribute.create", entity: "attribute", key: row.name, before: null, after: view, reason: input.reason, directive: input.directive },
    result: view,
  };
}

export function createAttribute(ctx: StoreContext, tenantId: string, actor: Actor, input: AttributeCreateInput): Promise<AttributeView> {
  return commitMutation(ctx, tenantId, actor, async ({ now }) => {
    if (builtInAttribute(input.name)) throw conflict(`Attribute "${input.name}" is built in: every tenant has it.`);
    if (await readRow(ctx.db, tenantId, input.name)) throw conflict(`Attribute "${input.name}" is already declared; change it with PUT /v1/attributes/${input.name}.`);
    await checkRoom(ctx, tenantId);
    return inserted(ctx, toRow(tenantId, input.name, input, now, now), input);
  });
}

export interface PutAttributeResult {
  attribute: AttributeView;
  created: boolean;
}

/** Creates or replaces a declaration; a change that would invalidate a rule or segment using it is refused (409). */
export function putAttribute(
  ctx: StoreContext,
  tenantId: string,
  actor: Actor,
  name: string,
  input: AttributePutInput,
): Promise<PutAttributeResult> {
  if (input.name !== undefined && input.name !== name) {
    return Promise.reject(invalidField("name", `the body's name "${input.name}" differs from the path's "${name}"`, "name_mismatch"));
  }
  return commitMutation<PutAttributeResult>(ctx, tenantId, actor, async ({ now }) => {
    const builtIn = builtInAttribute(name);
    const current = builtIn ? undefined : await readRow(ctx.db, tenantId, name);
    const next = toRow(tenantId, name, input, current?.createdAt ?? now, now);
    const before = builtIn ?? (current && attributeView(current));
    if (before && declarationOf(before) === declarationOf(attributeView(next))) return unchanged({ attribute: before, created: false });
    if (builtIn) throw conflict(`Attribute "${name}" is built in: it cannot be changed.`);
    if (!current) {
      await checkRoom(ctx, tenantId);
      return { ...inserted(ctx, next, input), result: { attribute: attributeView(next), created: true } };
    }
    const view = attributeView(next);
    const declared = new Map(await readDeclarations(ctx.db, tenantId)).set(name, view);
    const uses = attributeUses(name, await readAllFlagConfigs(ctx.db, tenantId), await readAllSegments(ctx.db, tenantId));
    const broken = uses.filter((use) => use.errors(view, declared).length > 0);
    if (broken.length > 0) {
      throw conflict(`This declaration of "${name}" does not fit how ${describeUses(broken)} use it; change those first.`);
    }
    return {
      statements: [
        ctx.db
          .update(attributes)
          .set({ type: next.type, list: next.list, codes: next.codes, description: next.description, updatedAt: now })
          .where(and(eq(attributes.tenantId, tenantId), eq(attributes.name, name))),
      ],
      changes: [],
      audit: { action: "attribute.update", entity: "attribute", key: name, before: attributeView(current), after: view, reason: input.reason, directive: input.directive },
      result: { attribute: view, created: false },
    };
  });
}

/** Deletes a declaration no rule or segment uses (409 naming them otherwise). */
export function deleteAttribute(ctx: StoreContext, tenantId: string, actor: Actor, name: string, input: DeleteInput): Promise<void> {
  return commitMutation(ctx, tenantId, actor, async () => {
    if (builtInAttribute(name)) throw conflict(`Attribute "${name}" is built in: it cannot be deleted.`);
    const current = await readRow(ctx.db, tenantId, name);
    if (!current) throw notFound(`No attribute "${name}".`);
    const uses = attributeUses(name, await readAllFlagConfigs(ctx.db, tenantId), await readAllSegments(ctx.db, tenantId));
    if (uses.length > 0) throw conflict(`Attribute "${name}" is still used by ${describeUses(uses)}; remove those uses first.`);
    return {
      statements: [ctx.db.delete(attributes).where(and(eq(attributes.tenantId, tenantId), eq(attributes.name, name)))],
      changes: [],
      audit: { action: "attribute.delete", entity: "attribute", key: name, before: attributeView(current), after: null, reason: input.reason, directive: input.directive },
      result: undefined,
    };
  });
}
