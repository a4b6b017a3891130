/**
 * The client's hot path: `isEnabled` reads no clock while the client is fresh, and
 * from half the smallest staleness limit on it measures the silence on every
 * evaluation, so STALE begins exactly at the limit whatever the timers do. The
 * service is an in-memory stub socket and the clock is vitest's: nothing here
 * depends on real time.
 */
import { afterEach, expect, it, vi } from "vitest";
import type { KillswitchClient } from "../src/client.js";
import { createClient } from "../src/node.js";
import type { WebSocketConstructor } from "../src/client/transport.js";
import type { SnapshotMessage } from "../src/protocol.js";
import { blockedForForeigners, foreignNationals } from "./support/flags.js";

/** The service's side of one stream: a snapshot on open, then only what the test delivers. */
class StubSocket {
  static last: StubSocket | undefined;
  static staleAfterMs: number | undefined = 10_000;
  readyState = 0;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;
  onerror: ((event: { message?: string }) => void) | null = null;

  constructor() {
    StubSocket.last = this;
    setTimeout(() => {
      this.readyState = 1;
      this.onopen?.();
      const snapshot: SnapshotMessage = {
        t: "snapshot",
        v: 1,
        env: "production",
        flags: { "model.fable-5": { ...blockedForForeigners(), staleAfterMs: StubSocket.staleAfterMs } },
        segments: { "foreign-nationals": foreignNationals() },
        serverTime: Date.now(),
      };
      this.deliver(JSON.stringify(snapshot));
    });
  }

  deliver(data: string): void {
    this.onmessage?.({ data });
  }

  send(data: string): void {
    this.sent.push(data);
  }

  close(): void {
    this.readyState = 3;
  }
}

let client: KillswitchClient | undefined;

afterEach(async () => {
  StubSocket.staleAfterMs = 10_000;
  await client?.close();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const us = { key: "u1", nationality: "US" };

const start = async (staleAfterMs?: number): Promise<ReturnType<typeof vi.spyOn>> => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
  // Spied before the client exists: the client keeps the Date.now it finds.
  const clock = vi.spyOn(Date, "now");
  client = createClient({
    url: "http://killswitch.test",
    sdkKey: "ks_t_key",
    WebSocket: StubSocket as WebSocketConstructor,
    fetch: () => Promise.reject(new Error("offline")),
    staleAfterMs,
  });
  const ready = client.ready({ timeoutMs: 1_000 });
  // The stub opens and sends its snapshot at once: no fake time passes before it is heard.
  await vi.advanceTimersByTimeAsync(0);
  expect(await ready).toBe("ready");
  return clock;
};

it("evaluates without reading the clock while the client is fresh", async () => {
  const clock = await start();
  const reads = clock.mock.calls.length;
  for (let i = 0; i < 1_000; i++) expect(client!.isEnabled("model.fable-5", us, false)).toBe(true);
  expect(client!.evaluate("model.fable-5", us, false).reason).toBe("DEFAULT");
  expect(clock.mock.calls.length).toBe(reads);
});

it("measures the silence from half the limit on, so STALE starts at the limit before the stale timer fires", async () => {
  const clock = await start();
  const stale = vi.fn();
  client!.on("stale", stale);
  const heardAt = Date.now();

  // Just before half the limit: still fresh, no clock read.
  await vi.advanceTimersByTimeAsync(4_990);
  let reads = clock.mock.calls.length;
  expect(client!.evaluate("model.fable-5", us, false).reason).toBe("DEFAULT");
  expect(clock.mock.calls.length).toBe(reads);

  // From half the limit on, each evaluation reads the clock.
  await vi.advanceTimersByTimeAsync(10);
  reads = clock.mock.calls.length;
  expect(client!.evaluate("model.fable-5", us, false).reason).toBe("DEFAULT");
  expect(clock.mock.calls.length).toBe(reads + 1);

  // The clock reaches the limit while no timer runs (a busy event loop): STALE at once.
  vi.setSystemTime(heardAt + 9_999);
  expect(client!.evaluate("model.fable-5", us, false).reason).toBe("DEFAULT");
  vi.setSystemTime(heardAt + 10_000);
  expect(client!.evaluate("model.fable-5", us, true)).toMatchObject({ value: false, reason: "STALE" });

  // Heard again (a pong on the live stream): fresh, and the clock is left alone.
  StubSocket.last!.deliver("pong");
  reads = clock.mock.calls.length;
  expect(client!.evaluate("model.fable-5", us, false).reason).toBe("DEFAULT");
  expect(clock.mock.calls.length).toBe(reads);
  // No timer ran meanwhile: STALE came from the evaluation's own measure, not from the `stale` event.
  expect(stale).not.toHaveBeenCalled();
});

it("keeps measuring the silence after close(): evaluation answers from memory, as stale as it gets", async () => {
  await start();
  await client!.close();
  vi.setSystemTime(Date.now() + 10_000);
  expect(client!.evaluate("model.fable-5", us, true)).toMatchObject({ value: false, reason: "STALE" });
});

it("takes a limit of Infinity as never stale, with one idle timer rather than a loop", async () => {
  StubSocket.staleAfterMs = undefined;
  const clock = await start(Infinity);
  const reads = clock.mock.calls.length;
  // A timer with an impossible delay fires at once, again and again, reading the clock each time.
  await vi.advanceTimersByTimeAsync(60_000);
  expect(clock.mock.calls.length - reads).toBeLessThan(20);
  expect(client!.evaluate("model.fable-5", us, false).reason).toBe("DEFAULT");
  expect(clock.mock.calls.length - reads).toBeLessThan(20);
});
