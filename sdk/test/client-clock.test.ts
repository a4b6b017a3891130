/**
 * The client's hot path: `isEnabled` reads no clock while the client is fresh, and
 * from half the smallest staleness limit on it measures the silence on every
 * evaluation, so STALE begins exactly at the limit whatever the timers do. The
 * service is an in-memory stub socket and the clock is vitest's: nothing here
 * depends on real time.
 */
import { afterEach, expect, it, vi } from "vitest";
import type { KillswitchClient } from "../src/client.js";
import type { SnapshotStorage } from "../src/client/storage.js";
import { createClient } from "../src/node.js";
import { blockedForForeigners, boolFlag } from "./support/flags.js";
import { snapshotFrame, stubService, type StubSocket } from "./support/stub-service.js";

let client: KillswitchClient | undefined;
let socket: StubSocket | undefined;

afterEach(async () => {
  await client?.close();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const us = { key: "u1", nationality: "US" };

/**
 * Starts a client whose service opens the stream at once and sends `frame`, then only what the
 * test delivers (and, with `pong`, a pong to each ping).
 */
const start = async (
  staleAfterMs?: number,
  frame = snapshotFrame(1, { flags: { "model.fable-5": { ...blockedForForeigners(), staleAfterMs: staleAfterMs === Infinity ? undefined : 10_000 } } }),
  pong = false,
): Promise<ReturnType<typeof vi.spyOn>> => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
  // Spied before the client exists: the client keeps the Date.now it finds.
  const clock = vi.spyOn(Date, "now");
  const { WebSocket } = stubService(
    (s) => {
      socket = s;
      s.accept();
      s.deliver(frame);
    },
    { pong },
  );
  client = createClient({
    url: "http://killswitch.test",
    sdkKey: "ks_t_key",
    WebSocket,
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
  socket!.deliver("pong");
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
  const clock = await start(Infinity);
  const reads = clock.mock.calls.length;
  // A timer with an impossible delay fires at once, again and again, reading the clock each time.
  await vi.advanceTimersByTimeAsync(60_000);
  expect(clock.mock.calls.length - reads).toBeLessThan(20);
  expect(client!.evaluate("model.fable-5", us, false).reason).toBe("DEFAULT");
  expect(clock.mock.calls.length - reads).toBeLessThan(20);
});

it("takes the option's staleAfterMs as the limit of a flag without its own", async () => {
  // A reconnect after the silent socket is dropped must not come within the test's time.
  vi.spyOn(Math, "random").mockReturnValue(0.5);
  await start(5_000, snapshotFrame(1, { flags: { "model.fable-5": blockedForForeigners() } }));
  const stale = vi.fn();
  client!.on("stale", stale);
  await vi.advanceTimersByTimeAsync(4_999);
  expect(stale).not.toHaveBeenCalled();
  expect(client!.evaluate("model.fable-5", us, true).reason).toBe("DEFAULT");
  await vi.advanceTimersByTimeAsync(1);
  expect(stale).toHaveBeenCalledTimes(1);
  expect(client!.evaluate("model.fable-5", us, true)).toMatchObject({ value: false, reason: "STALE" });
});

it("follows the smallest limit when the flag that set it changes or goes: pings and the stale timer", async () => {
  const closed = (key: string, staleAfterMs: number) => boolFlag(key, { failMode: "closed", staleAfterMs });
  await start(undefined, snapshotFrame(1, { flags: { short: closed("short", 3_000), long: closed("long", 30_000) }, segments: {} }), true);
  const pings = () => socket!.sent.filter((m) => m === "ping").length;
  const pingsIn = async (ms: number) => {
    const before = pings();
    await vi.advanceTimersByTimeAsync(ms);
    return pings() - before;
  };
  // Every 1 s: a third of the shortest fail-closed limit.
  expect(await pingsIn(5_000)).toBe(5);
  const patch = (v: number, fields: object) =>
    socket!.deliver(JSON.stringify({ t: "patch", v, prev: v - 1, flags: {}, segments: {}, removed: { flags: [], segments: [] }, ...fields }));
  patch(2, { flags: { short: closed("short", 12_000) } });
  await vi.advanceTimersByTimeAsync(0);
  expect(await pingsIn(20_000)).toBe(5);
  patch(3, { removed: { flags: ["short"], segments: [] } });
  await vi.advanceTimersByTimeAsync(0);
  expect(await pingsIn(30_000)).toBe(3);
  expect(client!.evaluate("long", {}, true).reason).toBe("STATIC");
});

it("stays fresh while connected: pings every third of the smallest fail-closed limit and counts each pong as heard", async () => {
  const closed = boolFlag("model.fable-5", { failMode: "closed", staleAfterMs: 1_500 });
  await start(undefined, snapshotFrame(1, { flags: { "model.fable-5": closed }, segments: {} }), true);
  const stale = vi.fn();
  client!.on("stale", stale);
  const pings = () => socket!.sent.filter((m) => m === "ping").length;
  const before = pings();
  // Three times the limit, with nothing but pongs: a ping every 500 ms, each answered.
  await vi.advanceTimersByTimeAsync(4_500);
  expect(pings() - before).toBe(9);
  expect(stale).not.toHaveBeenCalled();
  expect(client!.evaluate("model.fable-5", us, false).reason).toBe("STATIC");
});

it("does not trust an old cached snapshot again on a pong: only service data makes it fresh", async () => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
  const data = new Map<string, string>();
  const storage: SnapshotStorage = { get: (k) => data.get(k) ?? null, set: (k, v) => void data.set(k, v) };
  const options = { url: "http://killswitch.test", sdkKey: "ks_t_key", cache: storage, fetch: () => Promise.reject(new Error("offline")) };

  // A first run receives the block (fail-closed, default limit 60 s) and persists it.
  const first = createClient({ ...options, WebSocket: stubService((s) => (s.accept(), s.deliver(snapshotFrame(1)))).WebSocket });
  const firstReady = first.ready({ timeoutMs: 1_000 });
  await vi.advanceTimersByTimeAsync(0);
  expect(await firstReady).toBe("ready");
  await first.close();
  expect(data.size).toBe(1);

  // Ten minutes later the service answers pings, and sends nothing else.
  vi.setSystemTime(Date.now() + 600_000);
  const service = stubService((s) => ((socket = s), s.accept()), { pong: true });
  client = createClient({ ...options, WebSocket: service.WebSocket });
  const ready = vi.fn();
  client.on("ready", ready);
  const status = client.ready({ timeoutMs: 1_000 });
  await vi.advanceTimersByTimeAsync(30_000);
  expect(await status).toBe("cached");
  // Pongs were heard: the hello's ping at once, then one every 10 s.
  expect(socket!.sent.filter((m) => m === "ping").length).toBe(4);
  expect(ready).not.toHaveBeenCalled();
  expect(client.evaluate("model.fable-5", us, true)).toMatchObject({ value: false, reason: "STALE" });

  // A snapshot from the service does.
  socket!.deliver(snapshotFrame(2));
  await vi.advanceTimersByTimeAsync(0);
  expect(ready).toHaveBeenCalledTimes(1);
  expect(client.evaluate("model.fable-5", us, false)).toMatchObject({ value: true, reason: "DEFAULT" });
});

it("applies a patch only on top of the version it holds: one from another base asks for the whole state, one that does not move forward is refused", async () => {
  await start();
  const errors: Error[] = [];
  client!.on("error", (e) => errors.push(e));
  const resyncs = () => socket!.sent.filter((m) => m.includes('"resync"')).length;
  const kill = (v: number) => ({ "model.fable-5": boolFlag("model.fable-5", { enabled: false, failMode: "closed", version: v }) });
  const patch = (v: number, prev: number) =>
    socket!.deliver(JSON.stringify({ t: "patch", v, prev, flags: kill(v), segments: {}, removed: { flags: [], segments: [] } }));

  patch(3, 2); // a gap: 2 was never applied
  await vi.advanceTimersByTimeAsync(0);
  expect(client!.version).toBe(1);
  expect(resyncs()).toBe(1);

  // The resync is outstanding: asked once, however many frames miss.
  patch(2, 0); // an overlap: built on 0, not on 1
  await vi.advanceTimersByTimeAsync(0);
  expect(client!.version).toBe(1);
  expect(resyncs()).toBe(1);
  expect(errors).toEqual([]);

  patch(1, 1); // does not move forward: refused, with an error
  await vi.advanceTimersByTimeAsync(0);
  expect(client!.version).toBe(1);
  expect(errors.map((e) => e.message)).toEqual(["invalid prev"]);
  expect(client!.evaluate("model.fable-5", us, false).reason).toBe("DEFAULT");

  patch(2, 1); // follows: applied and acked
  await vi.advanceTimersByTimeAsync(0);
  expect(client!.version).toBe(2);
  expect(client!.evaluate("model.fable-5", us, true)).toMatchObject({ value: false, reason: "DISABLED" });
  expect(socket!.sent.filter((m) => m.includes('"ack"')).map((m) => JSON.parse(m).v)).toEqual([1, 2]);
});
