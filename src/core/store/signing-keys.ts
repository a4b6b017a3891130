/**
 * Each environment's Ed25519 signing keys and its epoch (src/core/signing/).
 *
 * A key pair is created with its environment (and with a tenant's first one). An
 * environment older than signing (migration 0004 gave it an epoch, but SQL cannot make
 * an Ed25519 key) gets its key the first time anything is signed for it or its keys are
 * read: one commit by the system actor, audited as `signing-key.create`; a second
 * process doing the same at once loses the race on the audit seq, plans again, and finds
 * the key.
 *
 * A rotation makes a new current key; the one it replaces keeps signing beside it for
 * the overlap, then stops (its private half is cleared at the next rotation, and never
 * used past `retires_at`). Private keys are read only to sign: no answer, log line or
 * audit entry holds one.
 */
import { and, desc, eq, lt } from "drizzle-orm";
import { SYSTEM_ACTOR, type Actor } from "../actor.js";
import { environments, signingKeys } from "../db/schema.js";
import { generateSigningKeyPair, importPrivateKey } from "../signing/ed25519.js";
import { newEpoch } from "../signing/epoch.js";
import type { SigningKey, SigningState } from "../signing/signing-state.js";
import type { EpochResetInput, SigningKeyRotateInput } from "../schemas/signing.js";
import type { EpochAnswer, SigningKeysView } from "../schemas/responses.js";
import type { StoreContext } from "./context.js";
import { commitMutation, unchanged } from "./mutation.js";
import { requireEnvironment } from "./reads.js";
import { isoTime } from "./views.js";

type SigningKeyRow = typeof signingKeys.$inferSelect;

/** A rotation's overlap when the request names none: a day, for clients to hear of the new key. */
export const DEFAULT_OVERLAP_SECONDS = 86_400;

/** The first key of a new environment, and its epoch: what creating an environment writes. */
export async function newEnvironmentSigning(tenantId: string, env: string, now: number): Promise<{ epoch: string; key: SigningKeyRow }> {
  const pair = await generateSigningKeyPair();
  return {
    epoch: newEpoch(now),
    key: { tenantId, env, n: 1, publicKey: pair.publicKey, privateKey: pair.privateKey, createdAt: now, retiresAt: null },
  };
}

function readKeys(ctx: StoreContext, tenantId: string, env: string): Promise<SigningKeyRow[]> {
  return ctx.db
    .select()
    .from(signingKeys)
    .where(and(eq(signingKeys.tenantId, tenantId), eq(signingKeys.env, env)))
    .orderBy(desc(signingKeys.n));
}

/** The keys of an environment that sign at `now`: the current one, and the previous while its overlap lasts. */
function liveKeys(rows: readonly SigningKeyRow[], now: number): SigningKeyRow[] {
  const [current, previous] = rows;
  if (!current) return [];
  return previous && previous.privateKey !== null && (previous.retiresAt ?? -Infinity) > now ? [current, previous] : [current];
}

/** What signs an environment's frames now, from memory once loaded. Rejects 404 for an unknown environment. */
export function signingState(ctx: StoreContext, tenantId: string, env: string): Promise<SigningState> {
  return ctx.signing.get(tenantId, env, () => loadSigningState(ctx, tenantId, env));
}

async function loadSigningState(ctx: StoreContext, tenantId: string, env: string): Promise<SigningState> {
  let row = await requireEnvironment(ctx.db, tenantId, env);
  let keys = await readKeys(ctx, tenantId, env);
  if (keys.length === 0 || row.epoch === null) {
    await createMissingSigning(ctx, tenantId, env);
    row = await requireEnvironment(ctx.db, tenantId, env);
    keys = await readKeys(ctx, tenantId, env);
  }
  const signers: SigningKey[] = await Promise.all(
    liveKeys(keys, ctx.clock()).map(async (key) => ({
      publicKey: key.publicKey,
      n: key.n,
      privateKey: await importPrivateKey(key.privateKey!),
      retiresAt: key.retiresAt ?? Infinity,
    })),
  );
  return { tenantId, env, epoch: row.epoch!, signers };
}

/** An environment older than signing: its first key (and its epoch, if the migration did not give it one). */
function createMissingSigning(ctx: StoreContext, tenantId: string, env: string): Promise<void> {
  return commitMutation(ctx, tenantId, SYSTEM_ACTOR, async ({ now }) => {
    const row = await requireEnvironment(ctx.db, tenantId, env);
    const keys = await readKeys(ctx, tenantId, env);
    if (keys.length > 0 && row.epoch !== null) return unchanged(undefined);
    const fresh = await newEnvironmentSigning(tenantId, env, now);
    const epoch = row.epoch ?? fresh.epoch;
    return {
      statements: [
        ...(keys.length > 0 ? [] : [ctx.db.insert(signingKeys).values(fresh.key)]),
        ...(row.epoch !== null ? [] : [ctx.db.update(environments).set({ epoch }).where(and(eq(environments.tenantId, tenantId), eq(environments.key, env)))]),
      ],
      changes: [],
      audit: {
        action: "signing-key.create",
        entity: "environment",
        key: env,
        env,
        before: null,
        after: { signingKey: keys[0]?.publicKey ?? fresh.key.publicKey, n: keys[0]?.n ?? 1, epoch },
        reason: "The environment was created before signing: its first signing key.",
      },
      // Nothing was signed for it before: no cache or socket holds anything to drop.
      result: undefined,
    };
  });
}

/** `GET /v1/envs/{env}/signing-key`: the public keys that sign now, and the epoch. */
export async function getSigningKeys(ctx: StoreContext, tenantId: string, env: string): Promise<SigningKeysView> {
  const state = await signingState(ctx, tenantId, env);
  const rows = await readKeys(ctx, tenantId, env);
  return signingKeysView(env, state.epoch, liveKeys(rows, ctx.clock()));
}

function signingKeysView(env: string, epoch: string, live: readonly SigningKeyRow[]): SigningKeysView {
  return {
    env,
    epoch,
    algorithm: "Ed25519",
    keys: live.map((key, i) => ({
      key: key.publicKey,
      n: key.n,
      status: i === 0 ? "current" : "previous",
      createdAt: isoTime(key.createdAt),
      ...(key.retiresAt === null ? {} : { retiresAt: isoTime(key.retiresAt) }),
    })),
  };
}

/**
 * A new current key. The one it replaces signs beside it for `overlapSeconds` (0: it
 * stops at once, as after a leak); one older than that is deleted.
 */
export function rotateSigningKey(
  ctx: StoreContext,
  tenantId: string,
  actor: Actor,
  env: string,
  input: SigningKeyRotateInput,
): Promise<SigningKeysView> {
  const overlapMs = (input.overlapSeconds ?? DEFAULT_OVERLAP_SECONDS) * 1000;
  return commitMutation(ctx, tenantId, actor, async ({ now }) => {
    const row = await requireEnvironment(ctx.db, tenantId, env);
    const [current] = await readKeys(ctx, tenantId, env);
    const fresh = await newEnvironmentSigning(tenantId, env, now);
    const key = { ...fresh.key, n: (current?.n ?? 0) + 1 };
    const epoch = row.epoch ?? fresh.epoch;
    const retiresAt = now + overlapMs;
    const where = and(eq(signingKeys.tenantId, tenantId), eq(signingKeys.env, env));
    const retired = current ? { ...current, retiresAt } : null;
    return {
      statements: [
        ctx.db.insert(signingKeys).values(key),
        ...(current
          ? [
              ctx.db
                .update(signingKeys)
                .set(overlapMs > 0 ? { retiresAt } : { retiresAt, privateKey: null })
                .where(and(where, eq(signingKeys.n, current.n))),
              ctx.db.delete(signingKeys).where(and(where, lt(signingKeys.n, current.n))),
            ]
          : []),
        ...(row.epoch !== null ? [] : [ctx.db.update(environments).set({ epoch }).where(and(eq(environments.tenantId, tenantId), eq(environments.key, env)))]),
      ],
      changes: [],
      audit: {
        action: "signing-key.rotate",
        entity: "environment",
        key: env,
        env,
        before: current ? { signingKey: current.publicKey, n: current.n } : null,
        after: { signingKey: key.publicKey, n: key.n, previousSignsUntil: current && overlapMs > 0 ? isoTime(retiresAt) : null },
        reason: input.reason,
        directive: input.directive,
      },
      result: signingKeysView(env, epoch, retired && overlapMs > 0 ? [key, retired] : [key]),
      resetEnv: { env, cause: "key" },
    };
  });
}

/**
 * A new epoch for an environment, after its database was restored from a backup: SDKs
 * then take its state even where the restored versions are lower than theirs. Every
 * connected SDK of the environment is sent a fresh snapshot.
 */
export function resetEpoch(ctx: StoreContext, tenantId: string, actor: Actor, env: string, input: EpochResetInput): Promise<EpochAnswer> {
  return commitMutation(ctx, tenantId, actor, async ({ now }) => {
    const row = await requireEnvironment(ctx.db, tenantId, env);
    const epoch = newEpoch(now, row.epoch);
    return {
      statements: [ctx.db.update(environments).set({ epoch }).where(and(eq(environments.tenantId, tenantId), eq(environments.key, env)))],
      changes: [],
      audit: {
        action: "environment.epoch",
        entity: "environment",
        key: env,
        env,
        before: { epoch: row.epoch, version: row.version },
        after: { epoch, version: row.version },
        reason: input.reason,
        directive: input.directive,
      },
      result: { env, epoch, version: row.version },
      resetEnv: { env, cause: "epoch" },
    };
  });
}
