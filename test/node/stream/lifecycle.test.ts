import { readFileSync } from "node:fs";
import type { WireFlag } from "@killswitch/sdk";
import { CLOSE } from "@killswitch/sdk/protocol.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { eventually, flag, sleep, startHarness, TENANT, TestClient, type Harness } from "./harness.js";

let h: Harness;

/** The kernel's largest TCP send plus receive buffer (Linux's tcp_wmem and tcp_rmem maxima), else 16 MiB. */
function kernelSocketBuffers(): number {
  try {
    const max = (name: string) => Number(readFileSync(`/proc/sys/net/ipv4/${name}`, "utf8").trim().split(/\s+/)[2]);
    const total = max("tcp_wmem") + max("tcp_rmem");
    if (Number.isSafeInteger(total)) return total;
  } catch {
    // Not Linux.
  }
  return 16 * 1024 * 1024;
}
afterEach(async () => h?.close());

describe("connection lifecycle", () => {
  it("closes every socket of a revoked key with 4001 at once, and only those", async () => {
    h = await startHarness();
    const revoked = [await TestClient.open(h.url, "ks_tenant0001_prod"), await TestClient.open(h.url, "ks_tenant0001_prod")];
    const kept = await TestClient.open(h.url, "ks_tenant0001_prod2");
    for (const c of [...revoked, kept]) {
      c.hello();
      await c.next();
    }
    h.hub.keyRevoked(TENANT, "key-prod");
    h.commit("production", "f", false); // published after the revocation: must not reach the revoked sockets
    for (const c of revoked) {
      expect(await c.closed).toMatchObject({ code: CLOSE.UNAUTHORIZED, reason: "key revoked" });
      expect(c.messages).toEqual([]);
    }
    expect(await kept.next()).toMatchObject({ t: "patch", v: 1 });
    expect(h.tracker.instances(TENANT, "production").total).toBe(1);
  });

  it("terminates a consumer that stops reading once its unsent bytes pass the limit, instead of buffering without bound", async () => {
    const limit = 256 * 1024;
    h = await startHarness({ maxBufferedBytes: limit });
    const slow = await TestClient.open(h.url, "ks_tenant0001_prod");
    const fast = await TestClient.open(h.url, "ks_tenant0001_prod");
    for (const c of [slow, fast]) {
      c.hello();
      await c.next();
    }
    slow.ws.pause(); // stops reading its socket: the kernel buffers fill, then the server's
    // What can be in flight to a paused reader before the server holds anything itself: the
    // kernel's largest send and receive buffers (loopback), then the hub's limit.
    const budget = kernelSocketBuffers() + limit;
    const big = "x".repeat(64 * 1024);
    let sent = 0;
    let v = 0;
    // Paced by the reader that keeps up: each change is published once the last one reached it.
    while (h.hub.stats().connections === 2 && sent <= budget + 2 * big.length) {
      v++;
      const f: WireFlag = { ...flag("big", v % 2 === 0, v), description: big } as WireFlag;
      h.hub.publish({
        tenantId: TENANT,
        env: "production",
        version: v,
        prev: v - 1,
        committedAt: Date.now(),
        flags: { big: f },
        segments: {},
        removed: { flags: [], segments: [] },
      });
      sent += big.length;
      expect(await fast.next(5_000)).toMatchObject({ t: "patch", v });
    }
    expect(h.hub.stats().connections).toBe(1); // the slow one went before the budget was spent
    expect(sent).toBeLessThanOrEqual(budget + 2 * big.length);
    slow.ws.resume();
    expect((await slow.closed).code).toBe(1006); // terminated, no close frame
  });

  it("runs two timers for the whole hub, however many sockets it holds", async () => {
    const intervals = vi.spyOn(globalThis, "setInterval");
    try {
      h = await startHarness({ heartbeatMs: 30, sweepIntervalMs: 30 });
      expect(intervals).toHaveBeenCalledTimes(2); // heartbeat and sweep
      const clients = await Promise.all(Array.from({ length: 10 }, () => TestClient.open(h.url, "ks_tenant0001_prod")));
      for (const c of clients) c.hello();
      for (const c of clients) await c.next();
      await sleep(100); // a few heartbeat and sweep rounds
      expect(intervals).toHaveBeenCalledTimes(2);
      for (const c of clients) expect(c.messages.some((m) => m !== "pong" && m.t === "hb")).toBe(true);
    } finally {
      intervals.mockRestore();
    }
  });

  it("closes every socket with 1001 on shutdown and refuses new upgrades", async () => {
    h = await startHarness();
    const a = await TestClient.open(h.url, "ks_tenant0001_prod");
    const b = await TestClient.open(h.url, "ks_tenant0001_staging");
    a.hello();
    await a.next();
    const closing = h.hub.close();
    expect((await a.closed).code).toBe(CLOSE.GOING_AWAY);
    expect((await b.closed).code).toBe(CLOSE.GOING_AWAY);
    await closing;
    expect(h.hub.stats().connections).toBe(0);
    await expect(TestClient.open(h.url, "ks_tenant0001_prod")).rejects.toThrow(/503/);
  });

  it("closes with 1011 when the store cannot load the environment, and keeps serving others", async () => {
    const errors: unknown[] = [];
    h = await startHarness({ onError: (e) => errors.push(e) });
    const load = h.source.snapshot.bind(h.source);
    h.source.snapshot = async (t, e) => {
      if (e === "staging") throw new Error("disk I/O error");
      return load(t, e);
    };
    const broken = await TestClient.open(h.url, "ks_tenant0001_staging");
    broken.hello();
    expect((await broken.closed).code).toBe(1011);
    expect(errors).toHaveLength(1);
    const ok = await TestClient.open(h.url, "ks_tenant0001_prod");
    ok.hello();
    expect(await ok.next()).toMatchObject({ t: "snapshot" });
  });
});
