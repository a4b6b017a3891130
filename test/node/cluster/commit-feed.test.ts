/**
 * The commit feed, with two stores on one database file standing for two
 * processes: store B commits (and records what it publishes), store A follows
 * the feed, as the Node host's commit tail does.
 */
import { afterEach, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../../../src/core/actor.js";
import type { Broadcaster, CommittedChange } from "../../../src/core/broadcaster.js";
import { base64url, randomBytes, sha256Hex } from "../../../src/core/crypto.js";
import { parseToken } from "../../../src/core/keys/token.js";
import type { Store } from "../../../src/core/store/index.js";
import { commitsAfter, feedHead, type FeedBatch, type FeedCursor } from "../../../src/node/cluster/commit-feed.js";
import { openTempStore, type TempStore } from "../../support/temp-db.js";

let a: TempStore | undefined;
let b: TempStore | undefined;
afterEach(() => {
  b?.close(); // B shares A's directory: A removes it
  a?.close();
  a = b = undefined;
});

function recorder(): Broadcaster & { changes: CommittedChange[] } {
  const changes: CommittedChange[] = [];
  return { changes, publish: (c) => changes.push(c), keyRevoked() {} };
}

type Follower = Store & { feedHead(): Promise<FeedCursor>; commitsAfter(cursor: FeedCursor, limit?: number): Promise<FeedBatch> };

/** Two processes on one new file: A follows, B writes and records what it publishes. */
async function twoStores() {
  a = await openTempStore();
  const published = recorder();
  b = await openTempStore({ dir: a.dir, broadcaster: published });
  const db = a.database.db;
  // The store, and the feed over its database, as the commit tail reads both.
  const follower: Follower = { ...a.store, feedHead: () => feedHead(db), commitsAfter: (cursor, limit) => commitsAfter(db, cursor, limit) };
  return { follower, writer: b.store, published: published.changes, writerDb: b.database };
}

/** Everything after `cursor`, read in batches of `limit` as a tail does. */
async function readAll(store: Follower, cursor: FeedCursor, limit?: number): Promise<{ batches: FeedBatch[]; cursor: FeedCursor }> {
  const batches: FeedBatch[] = [];
  let batch: FeedBatch;
  do {
    batch = await store.commitsAfter(cursor, limit);
    batches.push(batch);
    cursor = batch.cursor;
  } while (batch.more && batches.length < 100);
  return { batches, cursor };
}

describe("the commit feed", () => {
  it("starts at 0/0 on an empty database and has nothing to read", async () => {
    const { follower } = await twoStores();
    expect(await follower.feedHead()).toEqual({ change: 0, audit: 0 });
    expect(await follower.commitsAfter({ change: 0, audit: 0 })).toEqual({ changes: [], keys: [], envs: [], cursor: { change: 0, audit: 0 }, more: false });
  });

  it("gives a follower another store's commits in commit order, across tenants and environments, as that store published them", async () => {
    const { follower, writer, published } = await twoStores();
    const acme = (await writer.createTenant({ name: "acme" })).tenant.id;
    const globex = (await writer.createTenant({ name: "globex" })).tenant.id;
    await writer.createEnvironment(acme, SYSTEM_ACTOR, { key: "staging" });
    const start = await follower.feedHead();
    published.length = 0;

    await writer.createFlag(acme, SYSTEM_ACTOR, { key: "checkout", kind: "boolean" }); // production and staging
    await writer.createFlag(globex, SYSTEM_ACTOR, { key: "search", kind: "string", variants: { a: "a", b: "b" } });
    await writer.killFlag(acme, SYSTEM_ACTOR, "production", "checkout", { reason: "incident" });
    await writer.createAttribute(globex, SYSTEM_ACTOR, { name: "plan", list: false });
    await writer.putSegment(globex, SYSTEM_ACTOR, "production", "beta", { reason: "test", include: ["u-1"], exclude: [], rules: [{ when: [{ attribute: "plan", op: "in", values: ["beta"] }] }] });
    await writer.deleteFlag(acme, SYSTEM_ACTOR, "checkout", { reason: "retired" });
    expect(published.length).toBeGreaterThanOrEqual(7);

    const batch = await follower.commitsAfter(start);
    expect(batch.changes).toEqual(published);
    expect(batch.more).toBe(false);
    expect(batch.cursor).toEqual(await follower.feedHead());
    // Per environment, versions ascend with prev = version - 1: a tail can publish them as they come.
    const production = batch.changes.filter((c) => c.tenantId === acme && c.env === "production");
    expect(production.map((c) => [c.prev, c.version])).toEqual([[0, 1], [1, 2], [2, 3]]);
    expect(production[2]!.removed.flags).toEqual(["checkout"]);

    // Read again from where it ended: nothing new.
    expect(await follower.commitsAfter(batch.cursor)).toMatchObject({ changes: [], keys: [], more: false, cursor: batch.cursor });
  });

  it("cuts a batch at `limit` of each kind and says there is more", async () => {
    const { follower, writer, published } = await twoStores();
    const tenant = (await writer.createTenant({ name: "acme" })).tenant.id;
    const start = await follower.feedHead();
    published.length = 0;
    for (const key of ["a", "b", "c", "d", "e"]) await writer.createFlag(tenant, SYSTEM_ACTOR, { key, kind: "boolean" });
    const created: string[] = [];
    for (const name of ["k1", "k2", "k3"]) created.push((await writer.createKey(tenant, SYSTEM_ACTOR, { name, role: "viewer" })).key.id);

    const first = await follower.commitsAfter(start, 2);
    expect(first.changes.map((c) => Object.keys(c.flags)[0])).toEqual(["a", "b"]);
    expect(first.keys.map((k) => k.keyId)).toEqual(created.slice(0, 2));
    expect(first.more).toBe(true);

    const { batches, cursor } = await readAll(follower, first.cursor, 2);
    const all = [first, ...batches];
    expect(all.flatMap((x) => x.changes)).toEqual(published);
    expect(all.flatMap((x) => x.keys.map((k) => k.keyId))).toEqual(created);
    expect(all.map((x) => x.more)).toEqual([true, true, false]);
    expect(cursor).toEqual(await follower.feedHead());
  });

  it("lists keys created and revoked, with their prefix, and no other audit entry", async () => {
    const { follower, writer } = await twoStores();
    const tenant = (await writer.createTenant({ name: "acme" })).tenant.id;
    const start = await follower.feedHead();
    const { key, secret } = await writer.createKey(tenant, SYSTEM_ACTOR, { name: "edge", role: "sdk", env: "production" });
    await writer.createFlag(tenant, SYSTEM_ACTOR, { key: "f", kind: "boolean" }); // audited, not a key event
    await writer.revokeKey(tenant, SYSTEM_ACTOR, key.id, { reason: "leaked" });

    const batch = await follower.commitsAfter(start);
    const prefix = parseToken(secret)!.prefix;
    expect(batch.keys).toEqual([
      { tenantId: tenant, keyId: key.id, action: "create", prefix },
      { tenantId: tenant, keyId: key.id, action: "revoke", prefix },
    ]);
    expect(batch.changes).toHaveLength(1);
  });

  it("lists signing-key rotations and new epochs, and not an environment's creation", async () => {
    const { follower, writer } = await twoStores();
    const tenant = (await writer.createTenant({ name: "acme" })).tenant.id;
    const start = await follower.feedHead();
    await writer.createEnvironment(tenant, SYSTEM_ACTOR, { key: "staging" });
    await writer.rotateSigningKey(tenant, SYSTEM_ACTOR, "staging", { reason: "yearly" });
    await writer.resetEpoch(tenant, SYSTEM_ACTOR, "production", { reason: "restored" });
    const batch = await follower.commitsAfter(start);
    expect(batch.envs).toEqual([
      { tenantId: tenant, env: "staging", cause: "key", seq: 3 },
      { tenantId: tenant, env: "production", cause: "epoch", seq: 4 },
    ]);
    // The follower signs with the new key once told.
    follower.invalidateSigning(tenant, "staging");
    const keys = await writer.getSigningKeys(tenant, "staging");
    expect((await follower.signingState(tenant, "staging")).signers.map((k) => k.publicKey)).toEqual(keys.keys.map((k) => k.key));
  });

  it("restarts at the head when the cursor is beyond it (the file was replaced)", async () => {
    const { follower, writer, published } = await twoStores();
    const tenant = (await writer.createTenant({ name: "acme" })).tenant.id;
    await writer.createFlag(tenant, SYSTEM_ACTOR, { key: "a", kind: "boolean" });
    const head = await follower.feedHead();
    const beyond = { change: head.change + 1000, audit: head.audit + 1000 };

    const restarted = await follower.commitsAfter(beyond);
    expect(restarted).toEqual({ changes: [], keys: [], envs: [], cursor: head, more: false });
    published.length = 0;
    await writer.createFlag(tenant, SYSTEM_ACTOR, { key: "b", kind: "boolean" });
    const next = await follower.commitsAfter(restarted.cursor);
    expect(next.changes).toEqual(published);
    expect(next.changes).toHaveLength(1);
  });
});

describe("following another store's key commits", () => {
  /** What the commit tail does with a batch's key events. */
  async function applyKeyEvents(follower: Follower, from: FeedCursor): Promise<void> {
    const batch = await follower.commitsAfter(from);
    for (const k of batch.keys) follower.invalidateKey(k.tenantId, k.keyId, k.prefix ?? undefined);
  }

  it("refuses a key revoked by the other store once the revoke event is applied (until then the cache answers)", async () => {
    const { follower, writer } = await twoStores();
    const tenant = (await writer.createTenant({ name: "acme" })).tenant.id;
    const { key, secret } = await writer.createKey(tenant, SYSTEM_ACTOR, { name: "edge", role: "sdk", env: "production" });
    expect(await follower.authenticate(secret)).toMatchObject({ keyId: key.id }); // read once, now cached on A
    const cursor = await follower.feedHead();

    await writer.revokeKey(tenant, SYSTEM_ACTOR, key.id, {});
    expect(await writer.authenticate(secret)).toBeNull();
    expect(await follower.authenticate(secret)).toMatchObject({ keyId: key.id }); // A's cache has not heard

    await applyKeyEvents(follower, cursor);
    expect(await follower.authenticate(secret)).toBeNull();
  });

  it("finds a key the other store created under a prefix the follower has cached", async () => {
    const { follower, writer, writerDb } = await twoStores();
    const tenant = (await writer.createTenant({ name: "acme" })).tenant.id;
    const first = await writer.createKey(tenant, SYSTEM_ACTOR, { name: "one", role: "viewer" });
    expect(await follower.authenticate(first.secret)).toMatchObject({ keyId: first.key.id }); // (tenant, prefix) cached on A
    const cursor = await follower.feedHead();

    // A second key whose secret starts like the first (48 random bits: rare, and possible).
    const second = await writer.createKey(tenant, SYSTEM_ACTOR, { name: "two", role: "viewer" });
    const prefix = parseToken(first.secret)!.prefix;
    const secret = prefix + base64url(randomBytes(32)).slice(prefix.length);
    await writerDb.client.execute({
      sql: "UPDATE api_keys SET prefix = ?, secret_hash = ? WHERE tenant_id = ? AND id = ?",
      args: [prefix, await sha256Hex(secret), tenant, second.key.id],
    });
    const token = `ks_${tenant}_${secret}`;
    expect(await writer.authenticate(token)).toMatchObject({ keyId: second.key.id });
    expect(await follower.authenticate(token)).toBeNull(); // A's entry for the prefix holds the first key only

    // The key id alone drops nothing: no cached entry holds the new key.
    follower.invalidateKey(tenant, second.key.id);
    expect(await follower.authenticate(token)).toBeNull();

    await applyKeyEvents(follower, cursor); // the create event carries the prefix
    expect(await follower.authenticate(token)).toMatchObject({ keyId: second.key.id, name: "two" });
    expect(await follower.authenticate(first.secret)).toMatchObject({ keyId: first.key.id });
  });
});
