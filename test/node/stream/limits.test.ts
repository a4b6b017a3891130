/**
 * The stream's limits on the Node hub (src/core/stream/limits.ts decides them
 * for both hosts): the `resync` allowance, the hello and silence deadlines on
 * the hub's injected clock, and open streams per key. Real sockets on
 * 127.0.0.1; time moves only when a test moves the clock.
 */
import { CLOSE } from "@killswitch/sdk/protocol.js";
import { afterEach, describe, expect, it } from "vitest";
import { eventually, sleep, startHarness, TENANT, TestClient, type Harness } from "./harness.js";

let h: Harness;
afterEach(async () => h?.close());

/** A clock the test moves; the hub sweeps every 10 ms of real time but decides by this one. */
function fakeClock(start = 1_000_000) {
  let at = start;
  return { now: () => at, advance: (ms: number) => void (at += ms) };
}

/** A few sweeps of real time, after which a socket still open was judged and kept. */
const sweeps = () => sleep(60);

async function helloed(key = "ks_tenant0001_prod"): Promise<TestClient> {
  const c = await TestClient.open(h.url, key);
  c.hello();
  expect(await c.next()).toMatchObject({ t: "snapshot" });
  return c;
}

describe("the resync allowance", () => {
  it("closes a socket that floods resync with 1008, after at most the allowance, while a kill reaches the others", async () => {
    h = await startHarness();
    h.source.commit(TENANT, "production", "model.x", true);
    const watcher = await helloed();
    const flooder = await helloed();
    for (let i = 0; i < 1_000; i++) flooder.send({ t: "resync" });
    const kill = h.commit("production", "model.x", false);

    expect(await flooder.closed).toEqual({ code: CLOSE.POLICY, reason: "too many resync: at most 5, then 1 per 12 s" });
    // Those that arrive together share one snapshot load; none is answered past the allowance.
    expect(flooder.messages.filter((m) => m !== "pong" && m.t === "snapshot").length).toBeLessThanOrEqual(5);
    expect(await watcher.next()).toMatchObject({ t: "patch", v: kill.version, flags: { "model.x": { enabled: false } } });
  });

  it("answers a resync with the current snapshot, never one older than what the socket was sent", async () => {
    h = await startHarness();
    const c = await helloed();
    for (let i = 1; i <= 3; i++) h.commit("production", `f${i}`, true);
    for (let v = 1; v <= 3; v++) expect(await c.next()).toMatchObject({ t: "patch", v });
    c.send({ t: "resync" });
    expect(await c.next()).toMatchObject({ t: "snapshot", v: 3 });

    // A store that answers behind what this socket already holds (a lagging read): not sent.
    const load = h.source.snapshot.bind(h.source);
    h.source.snapshot = async (t, e) => ({ ...(await load(t, e)), version: 1 });
    h.commit("production", "f4", true);
    expect(await c.next()).toMatchObject({ t: "patch", v: 4 });
    c.send({ t: "resync" });
    c.send("ping");
    expect(await c.next()).toBe("pong");
    expect(c.messages).toEqual([]);
    // The socket is still served.
    h.commit("production", "f5", true);
    expect(await c.next()).toMatchObject({ t: "patch", v: 5, prev: 4 });
  });

  it("refills one resync every 12 s of the hub's clock", async () => {
    const clock = fakeClock();
    h = await startHarness({ now: clock.now });
    const c = await helloed();
    for (let i = 0; i < 5; i++) {
      c.send({ t: "resync" });
      expect(await c.next()).toMatchObject({ t: "snapshot" });
    }
    clock.advance(12_000);
    c.send({ t: "resync" });
    expect(await c.next()).toMatchObject({ t: "snapshot" });
    c.send({ t: "resync" });
    expect((await c.closed).code).toBe(CLOSE.POLICY);
  });
});

describe("idle sockets", () => {
  it("closes a socket without hello 10 s after its upgrade, by the hub's clock", async () => {
    const clock = fakeClock();
    h = await startHarness({ now: clock.now, sweepIntervalMs: 10 });
    const mute = await TestClient.open(h.url, "ks_tenant0001_prod");
    mute.send("ping"); // a ping is not a hello
    expect(await mute.next()).toBe("pong");
    clock.advance(9_999);
    await sweeps();
    expect(mute.ws.readyState).toBe(mute.ws.OPEN);
    clock.advance(1);
    expect(await mute.closed).toEqual({ code: CLOSE.POLICY, reason: "no hello within 10 s" });
  });

  it("closes a socket silent for 30 s, whatever it answers to protocol pings, and keeps one that pings", async () => {
    const clock = fakeClock();
    h = await startHarness({ now: clock.now, sweepIntervalMs: 10 });
    const silent = await helloed(); // ws answers protocol pings by itself: that is not the SDK's ping
    const pinging = await helloed();
    for (let i = 0; i < 4; i++) {
      clock.advance(10_000);
      pinging.send("ping");
      expect(await pinging.next()).toBe("pong");
    }
    expect(await silent.closed).toEqual({ code: CLOSE.POLICY, reason: "nothing heard for 30 s; ping at least every 10 s" });
    await eventually(() => expect(h.tracker.instances(TENANT, "production").total).toBe(1));
    await sweeps();
    expect(pinging.ws.readyState).toBe(pinging.ws.OPEN);
    h.commit("production", "f", true);
    expect(await pinging.next()).toMatchObject({ t: "patch", v: 1 });
  });
});

describe("streams per key", () => {
  it("closes a socket over the key's limit with 4029 at once, counts only that key, and frees a place on close", async () => {
    h = await startHarness({ limits: { maxConnectionsPerKey: 2 } });
    const first = await helloed();
    await helloed();
    const third = await TestClient.open(h.url, "ks_tenant0001_prod");
    expect(await third.closed).toEqual({
      code: CLOSE.TOO_MANY_CONNECTIONS,
      reason: "this key already holds 2 open streams here; reconnect later",
    });
    expect(h.hub.stats().connections).toBe(2);
    // Another key of the same environment is not counted against this one.
    await helloed("ks_tenant0001_prod2");

    first.close();
    await first.closed;
    await eventually(() => expect(h.hub.stats().connections).toBe(2));
    const again = await helloed();
    expect(again.ws.readyState).toBe(again.ws.OPEN);
  });
});
