/**
 * API keys: issue (secret shown once), list, revoke, and authenticate a bearer
 * token. Only sha256(secret) is stored; the row is found by (tenant, prefix) and
 * the hash compared in constant time.
 */
import { and, asc, eq, gt, isNull, or } from "drizzle-orm";
import type { Actor } from "../actor.js";
import { constantTimeEqual } from "../crypto.js";
import { apiKeys } from "../db/schema.js";
import type { Role } from "../keys/roles.js";
import { hashSecret, issueSecret, newKeyId, parseToken } from "../keys/token.js";
import { decodeCursor, toPage } from "../paging.js";
import { invalidField, notFound } from "../problem.js";
import type { DeleteInput, KeyCreateInput } from "../schemas/admin.js";
import type { PageQuery, Page } from "../schemas/paging.js";
import type { ApiKeyView } from "../schemas/responses.js";
import type { StoreContext } from "./context.js";
import { commitMutation } from "./mutation.js";
import { readEnvironments } from "./reads.js";
import { apiKeyView, type ApiKeyRow } from "./views.js";

/** Who a valid bearer token is. */
export interface AuthenticatedKey {
  tenantId: string;
  keyId: string;
  name: string;
  role: Role;
  /** The environment of an sdk key; null for the others. */
  env: string | null;
}

/** The key a valid, unrevoked bearer token belongs to; null for anything else. */
export async function authenticate(ctx: StoreContext, token: string): Promise<AuthenticatedKey | null> {
  const parsed = parseToken(token);
  if (!parsed) return null;
  const candidates = await ctx.db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.tenantId, parsed.tenantId), eq(apiKeys.prefix, parsed.prefix), isNull(apiKeys.revokedAt)));
  if (candidates.length === 0) return null;
  const hash = await hashSecret(parsed.secret);
  let found: ApiKeyRow | null = null;
  // Compare with every candidate, so timing says nothing about which one matched.
  for (const candidate of candidates) {
    if (constantTimeEqual(candidate.secretHash, hash)) found = candidate;
  }
  return found && { tenantId: found.tenantId, keyId: found.id, name: found.name, role: found.role as Role, env: found.env };
}

/** Records a key's use. Not audited: it is bookkeeping, not a change. */
export async function touchKey(ctx: StoreContext, tenantId: string, keyId: string, at: number): Promise<void> {
  await ctx.db
    .update(apiKeys)
    .set({ lastUsedAt: at })
    .where(and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.id, keyId)));
}

export async function listKeys(ctx: StoreContext, tenantId: string, query: PageQuery): Promise<Page<ApiKeyView>> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, ["number", "string"] as const);
  const rows = await ctx.db
    .select()
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.tenantId, tenantId),
        isNull(apiKeys.revokedAt),
        after === undefined
          ? undefined
          : or(gt(apiKeys.createdAt, after[0]), and(eq(apiKeys.createdAt, after[0]), gt(apiKeys.id, after[1]))),
      ),
    )
    .orderBy(asc(apiKeys.createdAt), asc(apiKeys.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, apiKeyView, (row) => [row.createdAt, row.id]);
}

export async function getKey(ctx: StoreContext, tenantId: string, keyId: string): Promise<ApiKeyView> {
  const [row] = await ctx.db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt)));
  if (!row) throw notFound(`No key "${keyId}".`);
  return apiKeyView(row);
}

export interface CreatedKey {
  key: ApiKeyView;
  /** The whole bearer token, shown once. */
  secret: string;
}

export async function createKey(ctx: StoreContext, tenantId: string, actor: Actor, input: KeyCreateInput): Promise<CreatedKey> {
  const secret = await issueSecret(tenantId);
  const id = newKeyId();
  return commitMutation(ctx, tenantId, actor, async ({ now }) => {
    if (input.env !== undefined) {
      const envs = await readEnvironments(ctx.db, tenantId);
      if (!envs.some((env) => env.key === input.env)) {
        throw invalidField("env", `no environment "${input.env}"`, "unknown_environment");
      }
    }
    const row: ApiKeyRow = {
      tenantId,
      id,
      name: input.name,
      role: input.role,
      env: input.env ?? null,
      prefix: secret.prefix,
      secretHash: secret.secretHash,
      createdAt: now,
      lastUsedAt: null,
      revokedAt: null,
    };
    const view = apiKeyView(row);
    return {
      statements: [ctx.db.insert(apiKeys).values(row)],
      changes: [],
      audit: {
        action: "key.create",
        entity: "key",
        key: id,
        env: row.env,
        before: null,
        after: { id, name: view.name, role: view.role, env: view.env, prefix: view.prefix },
        reason: input.reason,
        directive: input.directive,
      },
      result: { key: view, secret: secret.token },
    };
  });
}

export async function revokeKey(ctx: StoreContext, tenantId: string, actor: Actor, keyId: string, input: DeleteInput): Promise<void> {
  await commitMutation(ctx, tenantId, actor, async ({ now }) => {
    const [row] = await ctx.db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt)));
    if (!row) throw notFound(`No key "${keyId}".`);
    const view = apiKeyView(row);
    return {
      statements: [
        ctx.db
          .update(apiKeys)
          .set({ revokedAt: now })
          .where(and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.id, keyId))),
      ],
      changes: [],
      audit: {
        action: "key.revoke",
        entity: "key",
        key: keyId,
        env: row.env,
        before: { id: view.id, name: view.name, role: view.role, env: view.env, prefix: view.prefix },
        after: null,
        reason: input.reason,
        directive: input.directive,
      },
      result: undefined,
      revokedKeyId: keyId,
    };
  });
}
