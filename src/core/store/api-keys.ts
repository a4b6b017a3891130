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
import { issueSecret, newKeyId, parseToken } from "../keys/token.js";
import { decodeCursor, toPage } from "../paging.js";
import { invalidField, notFound } from "../problem.js";
import type { DeleteInput, KeyCreateInput } from "../schemas/admin.js";
import type { PageQuery, Page } from "../schemas/paging.js";
import type { ApiKeyView } from "../schemas/responses.js";
import { deleteSessionsOfKey } from "./console-sessions.js";
import type { StoreContext } from "./context.js";
import type { AuthenticatedKey, KeyCandidate } from "./key-cache.js";
import { commitMutation } from "./mutation.js";
import { readEnvironments } from "./reads.js";
import { apiKeyView, type ApiKeyRow } from "./views.js";

export type { AuthenticatedKey } from "./key-cache.js";

/**
 * The key a valid, unrevoked bearer token belongs to; null for anything else.
 * The rows of the token's (tenant, prefix) come from the key cache, or from one
 * read that fills it; the token's hash is compared with each in constant time.
 */
export async function authenticate(ctx: StoreContext, token: string): Promise<AuthenticatedKey | null> {
  const parsed = parseToken(token);
  if (!parsed) return null;
  const candidates = ctx.keys.get(parsed.tenantId, parsed.prefix) ?? (await readCandidates(ctx, parsed.tenantId, parsed.prefix));
  if (candidates.length === 0) return null;
  const digest = ctx.sha256(parsed.secret);
  const hash = typeof digest === "string" ? digest : await digest;
  let found: AuthenticatedKey | null = null;
  // Compare with every candidate, so timing says nothing about which one matched.
  for (const candidate of candidates) {
    if (constantTimeEqual(candidate.secretHash, hash)) found = candidate.key;
  }
  return found;
}

/** The unrevoked rows of (tenant, prefix), kept in the key cache unless a key changed meanwhile. */
async function readCandidates(ctx: StoreContext, tenantId: string, prefix: string): Promise<KeyCandidate[]> {
  const generation = ctx.keys.generation;
  const rows = await ctx.db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.prefix, prefix), isNull(apiKeys.revokedAt)));
  const candidates = rows.map((row) => ({
    secretHash: row.secretHash,
    key: { tenantId: row.tenantId, keyId: row.id, name: row.name, role: row.role as Role, env: row.env },
  }));
  ctx.keys.fill(tenantId, prefix, candidates, generation);
  return candidates;
}

/** Records a key's use. Not audited: it is bookkeeping, not a change. */
/** Best effort, in a later batch (key-touches.ts): resolves once tried, never rejects. */
export function touchKey(ctx: StoreContext, tenantId: string, keyId: string, at: number): Promise<void> {
  return ctx.touches.record(tenantId, keyId, at);
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
      createdKeyPrefix: secret.prefix,
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
        // Its console sessions end with it (reading a session also checks the key).
        deleteSessionsOfKey(ctx, tenantId, keyId),
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
