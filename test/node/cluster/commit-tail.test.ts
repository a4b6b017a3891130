/**
 * A node that joined the cluster follows another process's commits: store A is
 * wired as the Node host wires it (its commits go through the cluster's
 * broadcaster), store B is another process on the same file. The tail is
 * polled by hand.
 */
import { afterEach, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../../../src/core/actor.js";
import type { Broadcaster } from "../../../src/core/broadcaster.js";
import { joinCluster, type Cluster } from "../../../src/node/cluster/cluster.js";
import { openTempStore, type TempStore } from "../../support/temp-db.js";

const ENV = "production";

let a: TempStore;
let b: TempStore;
let cluster: Cluster;
let errors: unknown[];

afterEach(async () => {
  await cluster.close();
  b.close();
  a.close();
  expect(errors).toEqual([]);
});

async function setup() {
  errors = [];
  // What the store publishes reaches the cluster's broadcaster, as in server.ts.
  const relay: Broadcaster = {
    publish: (change) => cluster.broadcaster.publish(change),
    keyRevoked: (tenantId, keyId) => cluster.broadcaster.keyRevoked(tenantId, keyId),
    resetEnvironment: (tenantId, env, cause, seq) => cluster.broadcaster.resetEnvironment(tenantId, env, cause, seq),
  };
  a = await openTempStore({ broadcaster: relay });
  b = await openTempStore({ dir: a.dir });
  const tenantId = (await b.store.createTenant({ name: "acme" })).tenant.id;
  await b.store.createFlag(tenantId, SYSTEM_ACTOR, { key: "f", kind: "boolean" });
  cluster = await joinCluster(
    { db: a.database.db, url: a.database.url, store: a.store, onError: (error) => errors.push(error) },
    { tailIntervalMs: 3_600_000 },
  );
  const heard: string[] = [];
  cluster.broadcaster.target = {
    publish: (c) => heard.push(`${c.env}@${c.version}`),
    keyRevoked: (_tenantId, keyId) => heard.push(`revoked ${keyId}`),
    resetEnvironment: (_tenantId, env, cause) => heard.push(`reset ${env} ${cause}`),
  };
  return { tenantId, heard };
}

async function untilIdle(cluster: Cluster): Promise<void> {
  for (let i = 0; i < 200 && !cluster.broadcaster.idle; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(cluster.broadcaster.idle).toBe(true);
}

describe("following another process", () => {
  it("publishes its commits made after the join, once each, and raises the cached version", async () => {
    const { tenantId, heard } = await setup();
    expect(await a.store.envVersion(tenantId, ENV)).toBe(1);
    await b.store.killFlag(tenantId, SYSTEM_ACTOR, ENV, "f", { reason: "r" });
    expect(await a.store.envVersion(tenantId, ENV)).toBe(1); // A's cache has not heard yet
    await cluster.poll();
    expect(a.store.envVersion(tenantId, ENV)).toBe(2); // raised: no read needed
    await untilIdle(cluster); // the first change of an environment since the join waits for one read of where it was then
    expect(heard).toEqual(["production@2"]);
    await cluster.poll(); // nothing new
    expect(heard).toEqual(["production@2"]);
  });

  it("drops the signing state of another process's rotation or new epoch and tells the sockets, once for its own", async () => {
    const { tenantId, heard } = await setup();
    const before = await a.store.signingState(tenantId, ENV);
    const rotated = await b.store.rotateSigningKey(tenantId, SYSTEM_ACTOR, ENV, { reason: "yearly" });
    await cluster.poll();
    expect(heard).toEqual([`reset ${ENV} key`]);
    expect((await a.store.signingState(tenantId, ENV)).signers.map((k) => k.publicKey)).toEqual(rotated.keys.map((k) => k.key));
    const epoch = await b.store.resetEpoch(tenantId, SYSTEM_ACTOR, ENV, { reason: "restored" });
    await cluster.poll();
    expect((await a.store.signingState(tenantId, ENV)).epoch).toBe(epoch.epoch);
    expect(heard).toEqual([`reset ${ENV} key`, `reset ${ENV} epoch`]);
    // This process's own rotation: told once, though the tail reads it back.
    await a.store.rotateSigningKey(tenantId, SYSTEM_ACTOR, ENV, { reason: "again" });
    await cluster.poll();
    expect(heard).toEqual([`reset ${ENV} key`, `reset ${ENV} epoch`, `reset ${ENV} key`]);
    expect(before.epoch).not.toBe(epoch.epoch);
  });

  it("keeps versions in order when its own commit overtakes the other's", async () => {
    const { tenantId, heard } = await setup();
    await b.store.killFlag(tenantId, SYSTEM_ACTOR, ENV, "f", { reason: "on b" }); // 2, not yet read by A
    await a.store.restoreFlag(tenantId, SYSTEM_ACTOR, ENV, "f", { reason: "on a" }); // 3, published at once
    await untilIdle(cluster); // 3 waited for 2, read from the change log
    expect(heard).toEqual(["production@2", "production@3"]);
    await cluster.poll(); // the feed brings 2 and 3 again: dropped
    expect(heard).toEqual(["production@2", "production@3"]);
  });

  it("closes a key revoked by the other process and stops accepting it", async () => {
    const { tenantId, heard } = await setup();
    const { key, secret } = await b.store.createKey(tenantId, SYSTEM_ACTOR, { name: "edge", role: "sdk", env: ENV });
    await cluster.poll();
    expect(await a.store.authenticate(secret)).toMatchObject({ keyId: key.id });
    await b.store.revokeKey(tenantId, SYSTEM_ACTOR, key.id, {});
    await cluster.poll();
    expect(heard).toEqual([`revoked ${key.id}`]);
    expect(await a.store.authenticate(secret)).toBeNull();
  });
});
