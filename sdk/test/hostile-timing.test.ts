/**
 * A hostile or broken service, where the defect is about time: a service that accepts
 * the stream, sends something and closes, over and over; a snapshot poll that never
 * answers. The stream is an in-memory stub (support/stub-service.ts) and the clock is
 * vitest's fake one, so delays are exact and nothing waits for real time.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { KillswitchClient } from "../src/client.js";
import { createClient } from "../src/node.js";
import { snapshotFrame, stubService, type StubSocket } from "./support/stub-service.js";

const url = "http://killswitch.test";
const sdkKey = "ks_t_key";
const offline = (): Promise<Response> => Promise.reject(new Error("offline"));
const fr = { key: "u2", nationality: "FR" };

let c: KillswitchClient | undefined;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
  // Backoff delays are then exactly half their upper bound: 100, 200, 400… with a base of 100.
  vi.spyOn(Math, "random").mockReturnValue(0.5);
});

afterEach(async () => {
  await c?.close();
  c = undefined;
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const start = (WebSocket: ReturnType<typeof stubService>["WebSocket"], extra: { fetch?: typeof fetch; pollTimeoutMs?: number; reconnectDelayMs?: number } = {}) => {
  c = createClient({ url, sdkKey, WebSocket, fetch: offline, reconnectDelayMs: 100, ...extra });
  const seen: Error[] = [];
  c.on("error", (e) => seen.push(e));
  return { client: c, seen };
};

/** The reconnect delays: from each close to the next socket. */
const gaps = (sockets: StubSocket[]): number[] => sockets.slice(1).map((s, i) => s.createdAt - sockets[i]!.endedAt!);

/** The first stream holds version 5; each later one sends `frame` and closes once the client has read it. */
const acceptSendClose = (frame: (socket: StubSocket, n: number) => string) =>
  stubService((s) => {
    s.accept();
    s.deliver(frame(s, 0));
    setTimeout(() => s.end(1011));
  });

describe("backoff", () => {
  it.each<[string, string]>([
    ["a garbage frame", "{nope"],
    ["a pong", "pong"],
    ["a heartbeat", JSON.stringify({ t: "hb", v: 5, serverTime: 0 })],
    ["a snapshot older than the client's", snapshotFrame(3)],
    ["a patch that does not follow", JSON.stringify({ t: "patch", v: 9, prev: 8, flags: {}, segments: {}, removed: { flags: [], segments: [] } })],
  ])("keeps growing against a service that accepts, sends %s and closes", async (_, frame) => {
    let n = 0;
    const { WebSocket, sockets } = acceptSendClose(() => (n++ === 0 ? snapshotFrame(5) : frame));
    const { client } = start(WebSocket);
    await vi.advanceTimersByTimeAsync(7_000);
    // The first stream applied a snapshot (the count starts over); every later one applied nothing.
    expect(gaps(sockets)).toEqual([100, 200, 400, 800, 1_600, 3_200]);
    expect(client.version).toBe(5);
    expect(client.evaluate("model.fable-5", fr, true).value).toBe(false);
  });

  it("starts over after each valid snapshot or patch", async () => {
    let n = 0;
    const { WebSocket, sockets } = acceptSendClose(() => {
      const v = 5 + n++;
      return v === 5 ? snapshotFrame(5) : JSON.stringify({ t: "patch", v, prev: v - 1, flags: {}, segments: {}, removed: { flags: [], segments: [] } });
    });
    const { client } = start(WebSocket);
    await vi.advanceTimersByTimeAsync(1_080);
    expect(gaps(sockets)).toEqual(Array(10).fill(100));
    expect(client.version).toBe(15);
  });
});

describe("errors", () => {
  const depth = (e: unknown): number => {
    let d = 0;
    for (let x = (e as Error).cause; x !== undefined; x = (x as Error).cause) d++;
    return d;
  };

  it("hold one cause level however many times the stream is accepted and closed", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0);
    const { WebSocket, sockets } = stubService((s) => {
      s.accept();
      s.end(1011);
    });
    const { client, seen } = start(WebSocket);
    while (sockets.length < 300) await vi.advanceTimersToNextTimerAsync();
    expect(seen.length).toBeGreaterThanOrEqual(299);
    expect(Math.max(...seen.map(depth))).toBeLessThanOrEqual(1);
    const ready = client.ready({ timeoutMs: 1 });
    await vi.advanceTimersByTimeAsync(1);
    expect(await ready).toBe("defaults");
    // The timeout's own error carries the last error, and that one at most its own cause.
    expect(depth(seen.at(-1))).toBeLessThanOrEqual(2);
    expect(seen.at(-1)!.message).toMatch(/no snapshot/);
  });

  it("keep a socket's error event as the cause of its close, and nothing older", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0);
    const { WebSocket, sockets } = stubService((s) => s.end(1006, new Error(`refused #${sockets.indexOf(s)}`)));
    const { seen } = start(WebSocket);
    while (sockets.length < 50) await vi.advanceTimersToNextTimerAsync();
    const closes = seen.filter((e) => /stream closed/.test(e.message));
    expect(closes.length).toBeGreaterThan(40);
    for (const e of closes) expect(depth(e)).toBe(1);
    expect((closes.at(-1)!.cause as Error).message).toMatch(/^refused #\d+$/);
  });
});

describe("the snapshot poll", () => {
  /** A fetch that never answers, until its signal aborts. */
  const hanging = () => {
    const signals: AbortSignal[] = [];
    const fetch = (_url: string | URL | Request, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        const signal = init!.signal!;
        signals.push(signal);
        signal.addEventListener("abort", () => reject(signal.reason));
      });
    return { fetch: fetch as typeof globalThis.fetch, signals };
  };

  it("gives up a poll after 10 s by default, and polls again at the next attempt", async () => {
    const { fetch, signals } = hanging();
    const { WebSocket } = stubService((s) => s.end(1006));
    const { seen } = start(WebSocket, { fetch, reconnectDelayMs: 30_000 });
    await vi.advanceTimersByTimeAsync(9_999);
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(signals[0]!.aborted).toBe(true);
    expect(seen.some((e) => /snapshot.*10000 ms/.test(e.message))).toBe(true);
    // The first reconnect waits 30 s (half of 2 · 30 s): its attempt polls again.
    await vi.advanceTimersByTimeAsync(20_000);
    expect(signals).toHaveLength(2);
  });

  it("takes its timeout from pollTimeoutMs", async () => {
    const { fetch, signals } = hanging();
    const { WebSocket } = stubService((s) => s.end(1006));
    const { seen } = start(WebSocket, { fetch, pollTimeoutMs: 500, reconnectDelayMs: 30_000 });
    await vi.advanceTimersByTimeAsync(499);
    expect(signals[0]!.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(signals[0]!.aborted).toBe(true);
    expect(seen.some((e) => /500 ms/.test(e.message))).toBe(true);
  });
});
