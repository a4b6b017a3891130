/**
 * The mirror's connection does not wait for another process's write lock
 * (libsql's local driver would hold the event loop for the whole wait): a tick
 * that meets a busy database reports nothing, keeps its changes, and the next
 * tick writes them.
 */
import { createClient, type Client } from "@libsql/client";
import { afterEach, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../../../src/core/actor.js";
import type { TempStore } from "../../support/temp-db.js";
import { clock, clusterRows, startTwoNodes, stopNodes, type TestNode } from "./cluster-nodes.js";

const ENV = "production";

let t: TempStore;
let a: TestNode;
let b: TestNode;
let holder: Client | undefined;

afterEach(async () => {
  holder?.close();
  await stopNodes([a, b], t);
});

it("carries a busy tick's changes to the next tick, without an error", async () => {
  let tenantId: string;
  ({ t, tenantId, a, b } = await startTwoNodes());
  const b1 = b.connect(tenantId, ENV, "b-1");
  await a.mirror.tick();
  await b.mirror.tick();
  await a.mirror.tick();
  await b.mirror.tick(); // both shared, b's state written
  await t.store.createFlag(tenantId, SYSTEM_ACTOR, { key: "f", kind: "boolean" });
  const version = await t.store.envVersion(tenantId, ENV);
  b.tracker.commit(tenantId, ENV, version, clock.now);
  b.tracker.ack(b1, version);

  // Another process holds the write lock.
  holder = createClient({ url: `file:${t.file}` });
  const tx = await holder.transaction("write");
  await tx.execute("UPDATE stream_nodes SET heartbeat_at = heartbeat_at WHERE id = 'n_a'");
  clock.now += 250;
  await b.mirror.tick();
  expect(b.errors).toEqual([]);
  expect((await clusterRows(t.database)).instances).toContainEqual({ node_id: "n_b", instance: "b-1", applied_version: -1 });

  await tx.commit();
  clock.now += 250;
  await b.mirror.tick();
  expect((await clusterRows(t.database)).instances).toContainEqual({ node_id: "n_b", instance: "b-1", applied_version: version });
  expect((await clusterRows(t.database)).receipts).toContainEqual({ node_id: "n_b", env: ENV, version, connected: 1 });
});
