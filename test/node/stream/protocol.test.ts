import type { PatchMessage, SnapshotMessage } from "@killswitch/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { eventually, OTHER_TENANT, sleep, startHarness, TENANT, TestClient, type Harness } from "./harness.js";

let h: Harness;
afterEach(async () => h?.close());

/** A clock the test moves by hand: commit times, ack times and serverTime are exact. */
function manualClock(start = 1_800_000_000_000) {
  let t = start;
  return { now: () => t, set: (ms: number) => void (t = ms) };
}

describe("stream protocol 1", () => {
  it("answers hello with a snapshot of the key's environment, stamped with the server's clock", async () => {
    const clock = manualClock();
    h = await startHarness({ now: clock.now });
    h.source.commit(TENANT, "production", "model.fable-5", true);
    h.source.commit(TENANT, "production", "model.mythos-5", false);
    h.source.commit(TENANT, "staging", "model.only-staging", true);
    const c = await TestClient.open(h.url, "ks_tenant0001_prod");
    c.hello();
    const snap = (await c.next()) as SnapshotMessage;
    expect(snap).toMatchObject({ t: "snapshot", v: 2, env: "production", segments: {} });
    expect(Object.keys(snap.flags).sort()).toEqual(["model.fable-5", "model.mythos-5"]);
    expect(snap.flags["model.mythos-5"]!.enabled).toBe(false);
    expect(snap.serverTime).toBe(1_800_000_000_000);
  });

  it("resumes with since: one patch holding only the missed changes", async () => {
    h = await startHarness();
    for (let i = 1; i <= 3; i++) h.source.commit(TENANT, "production", `f${i}`, true); // v1..v3
    h.source.commit(TENANT, "production", "f2", false); // v4
    h.source.commit(TENANT, "production", "f4", true); // v5
    const c = await TestClient.open(h.url, "ks_tenant0001_prod");
    c.hello(3);
    const patch = (await c.next()) as PatchMessage;
    expect(patch).toMatchObject({ t: "patch", prev: 3, v: 5, removed: { flags: [], segments: [] } });
    expect(Object.keys(patch.flags).sort()).toEqual(["f2", "f4"]);
    expect(patch.flags.f2!.enabled).toBe(false);
    expect(await c.drain(50)).toEqual([]);
  });

  it("sends only a heartbeat to a client that is already current", async () => {
    h = await startHarness();
    h.source.commit(TENANT, "production", "f1", true);
    h.source.commit(TENANT, "production", "f2", true);
    const c = await TestClient.open(h.url, "ks_tenant0001_prod");
    c.hello(2);
    expect(await c.next()).toMatchObject({ t: "hb", v: 2 });
    expect(await c.drain(50)).toEqual([]);
  });

  it("records a client that resumes already current as having applied that version, before it acks anything", async () => {
    const clock = manualClock();
    h = await startHarness({ now: clock.now });
    h.source.commit(TENANT, "production", "f1", true);
    h.source.commit(TENANT, "production", "f2", true);
    const c = await TestClient.open(h.url, "ks_tenant0001_prod");
    clock.set(1_800_000_000_500);
    c.hello(2, "resumed");
    expect(await c.next()).toMatchObject({ t: "hb", v: 2 });
    expect(h.tracker.instances(TENANT, "production").items).toEqual([
      expect.objectContaining({ instance: "resumed", appliedVersion: 2, lastAckAt: new Date(1_800_000_000_500).toISOString() }),
    ]);
    // The next commit's receipt names it as behind at 2, not as having applied nothing.
    h.commit("production", "f3", true);
    expect(await c.next()).toMatchObject({ t: "patch", v: 3 });
    expect(h.tracker.receipt(TENANT, "production", 3)!.pending).toEqual([{ instance: "resumed", app: "test", appliedVersion: 2 }]);
  });

  it("falls back to a snapshot when the change log no longer holds since, or since is ahead", async () => {
    h = await startHarness({ logSize: 2 });
    for (let i = 1; i <= 5; i++) h.source.commit(TENANT, "production", `f${i}`, true);
    const old = await TestClient.open(h.url, "ks_tenant0001_prod");
    old.hello(1);
    expect(await old.next()).toMatchObject({ t: "snapshot", v: 5 });
    const ahead = await TestClient.open(h.url, "ks_tenant0001_prod");
    ahead.hello(9);
    expect(await ahead.next()).toMatchObject({ t: "snapshot", v: 5 });
  });

  it("pushes each committed change as one patch to its environment only", async () => {
    h = await startHarness();
    const prod = await TestClient.open(h.url, "ks_tenant0001_prod");
    const prod2 = await TestClient.open(h.url, "ks_tenant0001_prod2");
    const staging = await TestClient.open(h.url, "ks_tenant0001_staging");
    const other = await TestClient.open(h.url, "ks_tenant0002_prod");
    for (const c of [prod, prod2, staging, other]) {
      c.hello();
      expect(await c.next()).toMatchObject({ t: "snapshot", v: 0 });
    }
    h.commit("production", "model.fable-5", false);
    for (const c of [prod, prod2]) {
      const p = (await c.next()) as PatchMessage;
      expect(p).toMatchObject({ t: "patch", v: 1, prev: 0 });
      expect(p.flags["model.fable-5"]).toMatchObject({ enabled: false, version: 1 });
    }
    expect(await staging.drain(50)).toEqual([]);
    expect(await other.drain(0)).toEqual([]);

    h.commit("production", "model.x", true, OTHER_TENANT);
    expect(await other.next()).toMatchObject({ t: "patch", v: 1 });
    expect(await prod.drain(50)).toEqual([]);
  });

  it("records acks in the receipt and the instance list, with ack time minus commit time", async () => {
    const clock = manualClock();
    h = await startHarness({ now: clock.now });
    const a = await TestClient.open(h.url, "ks_tenant0001_prod");
    const b = await TestClient.open(h.url, "ks_tenant0001_prod");
    a.hello(undefined, "instance-a");
    b.hello(undefined, "instance-b");
    await a.next();
    await b.next();
    h.commit("production", "model.fable-5", false); // committed at the clock's start
    await a.next();
    await b.next();
    clock.set(1_800_000_000_250);
    a.send({ t: "ack", v: 1 });
    await eventually(() => expect(h.tracker.receipt(TENANT, "production", 1)!.acked).toBe(1));
    const r = h.tracker.receipt(TENANT, "production", 1)!;
    expect(r).toMatchObject({ version: 1, connected: 2, acked: 1, complete: false, committedAt: new Date(1_800_000_000_000).toISOString() });
    expect(r.pending).toEqual([{ instance: "instance-b", app: "test", appliedVersion: null }]);
    expect(r.latencyMs).toEqual({ p50: 250, p99: 250, max: 250 });

    const list = h.tracker.instances(TENANT, "production");
    expect(list.total).toBe(2);
    expect(list.items.find((i) => i.instance === "instance-a")).toMatchObject({
      app: "test",
      sdk: "@killswitch/sdk@0.1.0",
      appliedVersion: 1,
    });

    clock.set(1_800_000_001_000);
    b.send({ t: "ack", v: 1 });
    await eventually(() => expect(h.tracker.receipt(TENANT, "production", 1)!.complete).toBe(true));
    // Nearest rank over [250, 1000]: the median is the first.
    expect(h.tracker.receipt(TENANT, "production", 1)!.latencyMs).toEqual({ p50: 250, p99: 1_000, max: 1_000 });
  });

  it("stops waiting for an instance once it disconnects, and ignores one that connected after the commit", async () => {
    h = await startHarness();
    const stays = await TestClient.open(h.url, "ks_tenant0001_prod");
    const leaves = await TestClient.open(h.url, "ks_tenant0001_prod");
    stays.hello(undefined, "stays");
    leaves.hello(undefined, "leaves");
    await stays.next();
    await leaves.next();
    h.commit("production", "f", false);
    const late = await TestClient.open(h.url, "ks_tenant0001_prod");
    late.hello(undefined, "late");
    expect(await late.next()).toMatchObject({ t: "snapshot", v: 1 });
    await stays.next();
    stays.send({ t: "ack", v: 1 });
    await eventually(() => expect(h.tracker.receipt(TENANT, "production", 1)!.acked).toBe(1));
    expect(h.tracker.receipt(TENANT, "production", 1)!.pending.map((p) => p.instance)).toEqual(["leaves"]);
    leaves.close();
    await eventually(() => expect(h.tracker.receipt(TENANT, "production", 1)!.complete).toBe(true));
    expect(h.tracker.receipt(TENANT, "production", 1)).toMatchObject({ connected: 2, acked: 1 });
  });

  it("sends a heartbeat with the current version from one hub-wide timer", async () => {
    h = await startHarness({ heartbeatMs: 60 });
    h.source.commit(TENANT, "production", "f", true);
    const c = await TestClient.open(h.url, "ks_tenant0001_prod");
    const quiet = await TestClient.open(h.url, "ks_tenant0001_prod"); // no hello: no heartbeats
    c.hello();
    expect(await c.next()).toMatchObject({ t: "snapshot", v: 1 });
    const hb = await c.next();
    expect(hb).toMatchObject({ t: "hb", v: 1 });
    expect(typeof (hb as { serverTime: number }).serverTime).toBe("number");
    expect(await quiet.drain(150)).toEqual([]);
  });

  it("answers a bare ping with a bare pong, before and after hello", async () => {
    h = await startHarness();
    const c = await TestClient.open(h.url, "ks_tenant0001_prod");
    c.send("ping");
    expect(await c.next()).toBe("pong");
    c.hello();
    await c.next();
    c.send("ping");
    expect(await c.next()).toBe("pong");
  });

  it("answers resync with a fresh snapshot", async () => {
    h = await startHarness();
    const c = await TestClient.open(h.url, "ks_tenant0001_prod");
    c.hello();
    await c.next();
    h.commit("production", "f", true);
    await c.next();
    c.send({ t: "resync" });
    expect(await c.next()).toMatchObject({ t: "snapshot", v: 1, flags: { f: { enabled: true } } });
  });

  it("delivers a change published while a snapshot is loading right after that snapshot", async () => {
    h = await startHarness();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const load = h.source.snapshot.bind(h.source);
    h.source.snapshot = async (t, e) => {
      const s = await load(t, e);
      await gate; // the store answered with v0, but the hub hears of v1 before it can send it
      return s;
    };
    const c = await TestClient.open(h.url, "ks_tenant0001_prod");
    c.hello();
    await sleep(20);
    h.commit("production", "f", false);
    release();
    expect(await c.next()).toMatchObject({ t: "snapshot", v: 0 });
    expect(await c.next()).toMatchObject({ t: "patch", v: 1, prev: 0 });
  });

  it("loads one snapshot for many clients of an unchanged environment", async () => {
    h = await startHarness();
    h.source.commit(TENANT, "production", "f", true);
    const clients = await Promise.all(Array.from({ length: 20 }, () => TestClient.open(h.url, "ks_tenant0001_prod")));
    for (const c of clients) c.hello();
    for (const c of clients) expect(await c.next()).toMatchObject({ t: "snapshot", v: 1 });
    expect(h.source.snapshotCalls).toBe(1);
  });
});
