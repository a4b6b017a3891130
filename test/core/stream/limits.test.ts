import { CLOSE } from "@killswitch/sdk/protocol.js";
import { describe, expect, it } from "vitest";
import {
  admitConnection,
  DEFAULT_STREAM_LIMITS,
  freshResyncBucket,
  idleClose,
  idleDeadline,
  parseMaxStreamsPerKey,
  streamLimits,
  takeResync,
} from "../../../src/core/stream/limits.js";

const limits = streamLimits();

describe("stream limits", () => {
  it("defaults to 10 s for hello, 30 s of silence, 5 resync then 1 per 12 s, 20,000 sockets per key", () => {
    expect(limits).toEqual({
      helloTimeoutMs: 10_000,
      silenceLimitMs: 30_000,
      resyncBurst: 5,
      resyncRefillMs: 12_000,
      maxConnectionsPerKey: 20_000,
    });
  });

  it("takes overrides and refuses limits that are not positive integers", () => {
    expect(streamLimits({ maxConnectionsPerKey: 3 }).maxConnectionsPerKey).toBe(3);
    expect(streamLimits({ helloTimeoutMs: undefined }).helloTimeoutMs).toBe(10_000);
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity]) {
      expect(() => streamLimits({ resyncBurst: bad })).toThrow(/resyncBurst must be a positive integer/);
    }
    expect(() => streamLimits({ nope: 1 } as never)).toThrow(/Unknown stream limit "nope"/);
  });

  it("reads the per-key limit from its variable, and says what is wrong with a bad one", () => {
    expect(parseMaxStreamsPerKey(undefined)).toBe(DEFAULT_STREAM_LIMITS.maxConnectionsPerKey);
    expect(parseMaxStreamsPerKey("  ")).toBe(DEFAULT_STREAM_LIMITS.maxConnectionsPerKey);
    expect(parseMaxStreamsPerKey(" 500 ")).toBe(500);
    for (const bad of ["0", "-3", "1e3", "12.5", "many", "01"]) {
      expect(() => parseMaxStreamsPerKey(bad)).toThrow(/KILLSWITCH_MAX_STREAMS_PER_KEY must be a whole number/);
    }
  });
});

describe("the resync allowance", () => {
  it("answers a burst of five, then closes the socket with 1008 and a reason", () => {
    const bucket = freshResyncBucket(0, limits);
    for (let i = 0; i < 5; i++) expect(takeResync(bucket, 0, limits)).toBeNull();
    expect(takeResync(bucket, 0, limits)).toEqual({
      code: CLOSE.POLICY,
      reason: "too many resync: at most 5, then 1 per 12 s",
    });
  });

  it("allows one more every 12 s, never more than the burst", () => {
    const bucket = freshResyncBucket(0, limits);
    for (let i = 0; i < 5; i++) takeResync(bucket, 0, limits);
    expect(takeResync(bucket, 11_999, limits)).not.toBeNull();
    expect(takeResync(bucket, 12_000, limits)).toBeNull(); // 12 s after the last refill point counts the fraction kept
    // A long quiet spell refills to the burst only.
    const rested = freshResyncBucket(0, limits);
    let answered = 0;
    while (takeResync(rested, 3_600_000, limits) === null) answered++;
    expect(answered).toBe(5);
  });

  it("lets a client that asks once a minute go on for ever", () => {
    const bucket = freshResyncBucket(0, limits);
    for (let minute = 0; minute < 1_000; minute++) expect(takeResync(bucket, minute * 60_000, limits)).toBeNull();
  });

  it("gives nothing back when the clock goes back", () => {
    const bucket = freshResyncBucket(100_000, limits);
    for (let i = 0; i < 5; i++) takeResync(bucket, 100_000, limits);
    expect(takeResync(bucket, 0, limits)).not.toBeNull();
    expect(takeResync(bucket, 100_000 + 11_000, limits)).not.toBeNull();
  });
});

describe("idle sockets", () => {
  const fresh = { connectedAt: 1_000, heardAt: 1_000, helloed: false };

  it("closes a socket without hello 10 s after its upgrade", () => {
    expect(idleDeadline(fresh, limits)).toBe(11_000);
    expect(idleClose(fresh, 10_999, limits)).toBeNull();
    // Frames other than hello (pings) do not buy time before hello.
    expect(idleClose({ ...fresh, heardAt: 10_500 }, 11_000, limits)).toEqual({ code: CLOSE.POLICY, reason: "no hello within 10 s" });
  });

  it("closes a helloed socket silent for 30 s, and keeps one that pings", () => {
    const helloed = { ...fresh, helloed: true };
    expect(idleDeadline(helloed, limits)).toBe(31_000);
    expect(idleClose(helloed, 30_999, limits)).toBeNull();
    expect(idleClose(helloed, 31_000, limits)).toEqual({
      code: CLOSE.POLICY,
      reason: "nothing heard for 30 s; ping at least every 10 s",
    });
    const pinging = { ...helloed, heardAt: 1_000_000 };
    expect(idleClose(pinging, 1_029_999, limits)).toBeNull();
    expect(idleDeadline(pinging, limits)).toBe(1_030_000);
  });
});

describe("connections per key", () => {
  it("admits up to the limit, then closes the next with 4029", () => {
    const small = streamLimits({ maxConnectionsPerKey: 2 });
    expect(admitConnection(0, small)).toBeNull();
    expect(admitConnection(1, small)).toBeNull();
    expect(admitConnection(2, small)).toEqual({
      code: CLOSE.TOO_MANY_CONNECTIONS,
      reason: "this key already holds 2 open streams here; reconnect later",
    });
    expect(CLOSE.TOO_MANY_CONNECTIONS).toBe(4029);
  });
});
