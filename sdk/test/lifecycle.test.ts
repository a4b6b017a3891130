/**
 * The client's lifecycle state machine (sdk/src/client/lifecycle.ts), transition by
 * transition: each row is a state, an event at a time, and the state and effects it must
 * give. The machine is pure, so no socket, timer or clock is involved; the client's own
 * tests (client*.test.ts, hostile-*.test.ts) show the adapter runs these effects.
 */
import { describe, expect, it } from "vitest";
import { Effect, Event, Freshness, Link, SKEW_MS, lifecycle, live, status, step, type Lifecycle } from "../src/client/lifecycle.js";

const LIMIT = 60_000;
const T = 1_000_000;
const MAX_DELAY = 2 ** 31 - 1;
const { Idle, Dialing, Open, Halted, Closed } = Link;
const { None, Cached, Old, Fresh, Stale } = Freshness;

type Row = [name: string, from: Partial<Lifecycle>, event: Event, now: number, arg: unknown, changes: Partial<Lifecycle>, effects: Effect[]];

/**
 * Runs each row on a frozen state (a transition that wrote to it would throw): `next` must be
 * the state with exactly `changes`, and the effects exactly `effects`, in that order.
 */
const table = (rows: Row[]): void =>
  it.each(rows)("%s", (_name, from, event, now, arg, changes, effects) => {
    const state = Object.freeze({ ...lifecycle(LIMIT), ...from });
    const [next, fx] = step(state, event, now, arg);
    expect(next).toEqual({ ...state, ...changes });
    expect([...fx].map(name)).toEqual(effects.map(name));
  });

/** An effect's name (a failure then reads `["Drop", "Fail"]`, not `"df"`). */
const name = (letter: string): string => Object.keys(Effect).find((k) => Effect[k as keyof typeof Effect] === letter) ?? `unknown ${letter}`;

it("starts idle, with nothing to serve, the default limit and a 10 s ping", () => {
  expect(lifecycle(LIMIT)).toEqual({
    _link: Idle,
    _fresh: None,
    _heard: 0,
    _sockHeard: 0,
    _watch: false,
    _resync: false,
    _attempt: 0,
    _staleMs: LIMIT,
    _pingMs: 10_000,
    _due: 0,
    _after: LIMIT,
  });
});

describe("live and status: what hello resumes from and what ready() answers", () => {
  it.each([
    [None, false, "defaults"],
    [Cached, false, "cached"],
    [Old, false, "cached"],
    [Fresh, true, "ready"],
    [Stale, true, "ready"],
  ] as const)("%s", (fresh, isLive, answer) => {
    const s = { ...lifecycle(LIMIT), _fresh: fresh };
    expect(live(s)).toBe(isLive);
    expect(status(s)).toBe(answer);
  });
});

describe("Dial: a socket is opened unless the client has ended", () => {
  table([
    ["idle → dialing: the ping interval starts before the socket (it bounds the wait to open), an old resync is forgotten", { _resync: true, _sockHeard: 5 }, Event.Dial, T, undefined, { _link: Dialing, _sockHeard: T, _resync: false }, [Effect.Pings, Effect.Socket]],
    ["halted: no socket", { _link: Halted }, Event.Dial, T, undefined, {}, []],
    ["closed: no socket", { _link: Closed }, Event.Dial, T, undefined, {}, []],
  ]);
});

describe("Open: hello", () => {
  table([["dialing → open", { _link: Dialing }, Event.Open, T, undefined, { _link: Open }, [Effect.Hello]]]);
});

describe("Frame: any frame is heard, but only service data is freshened", () => {
  const halfway = { _due: LIMIT / 2, _watch: false };
  table([
    ["fresh: heard now, the stale timer re-armed at half the limit", { _link: Open, _fresh: Fresh, _heard: T - 40_000, _watch: true }, Event.Frame, T, undefined, { _sockHeard: T, _heard: T, ...halfway }, [Effect.Timer]],
    ["stale → fresh: ready again", { _link: Open, _fresh: Stale, _heard: T - 90_000, _watch: true }, Event.Frame, T, undefined, { _fresh: Fresh, _sockHeard: T, _heard: T, ...halfway }, [Effect.Ready, Effect.Settle, Effect.Timer]],
    ["cached: a pong does not make the cache current", { _link: Open, _fresh: Cached, _heard: T - 10_000 }, Event.Frame, T, undefined, { _sockHeard: T }, []],
    ["old: nor an old cache", { _link: Open, _fresh: Old, _heard: T - 90_000, _watch: true }, Event.Frame, T, undefined, { _sockHeard: T }, []],
    ["none: nothing to freshen", { _link: Open }, Event.Frame, T, undefined, { _sockHeard: T }, []],
  ]);
});

describe("Beat: a ping, or the socket is dropped after three silent periods", () => {
  table([
    ["a frame within three periods: ping", { _link: Open, _sockHeard: T - 29_999 }, Event.Beat, T, undefined, {}, [Effect.Ping]],
    ["open, silent for three periods: dropped, reconnect", { _link: Open, _sockHeard: T - 30_000, _attempt: 2 }, Event.Beat, T, undefined, { _link: Idle, _attempt: 3 }, [Effect.Drop, Effect.Silent, Effect.Retry]],
    ["stuck dialing for three periods: dropped, poll, reconnect", { _link: Dialing, _sockHeard: T - 30_000 }, Event.Beat, T, undefined, { _link: Idle, _attempt: 1 }, [Effect.Drop, Effect.Silent, Effect.Poll, Effect.Retry]],
    ["the period follows _pingMs", { _link: Open, _sockHeard: T - 300, _pingMs: 100 }, Event.Beat, T, undefined, { _link: Idle, _attempt: 1 }, [Effect.Drop, Effect.Silent, Effect.Retry]],
  ]);
});

describe("Lost: report, poll if the socket never opened, reconnect after a longer backoff", () => {
  table([
    ["open → idle: no poll (the stream worked)", { _link: Open, _attempt: 4 }, Event.Lost, T, undefined, { _link: Idle, _attempt: 5 }, [Effect.Drop, Effect.Fail, Effect.Retry]],
    ["dialing → idle: poll", { _link: Dialing }, Event.Lost, T, undefined, { _link: Idle, _attempt: 1 }, [Effect.Drop, Effect.Fail, Effect.Poll, Effect.Retry]],
    ["idle (no socket could be made): poll", { _link: Idle }, Event.Lost, T, undefined, { _attempt: 1 }, [Effect.Drop, Effect.Fail, Effect.Poll, Effect.Retry]],
    ["halted: reported, no reconnect", { _link: Halted }, Event.Lost, T, undefined, {}, [Effect.Drop, Effect.Fail]],
    ["closed: reported, no reconnect", { _link: Closed }, Event.Lost, T, undefined, {}, [Effect.Drop, Effect.Fail]],
  ]);
});

describe("Refused: the key is refused for good", () => {
  table([
    ["open → halted", { _link: Open }, Event.Refused, T, undefined, { _link: Halted }, [Effect.Drop, Effect.Refused, Effect.Settle]],
    ["dialing → halted", { _link: Dialing }, Event.Refused, T, undefined, { _link: Halted }, [Effect.Drop, Effect.Refused, Effect.Settle]],
    ["halted: once", { _link: Halted }, Event.Refused, T, undefined, {}, []],
    ["closed: nothing", { _link: Closed }, Event.Refused, T, undefined, {}, []],
  ]);
});

describe("Answer: a poll's answer counts only while no socket is open", () => {
  table([
    ["idle, 200: read it", { _link: Idle }, Event.Answer, T, 200, {}, [Effect.Read]],
    ["dialing, 200: read it", { _link: Dialing }, Event.Answer, T, 200, {}, [Effect.Read]],
    ["idle, 500: read (the adapter reports an answer that is not 2xx)", { _link: Idle }, Event.Answer, T, 500, {}, [Effect.Read]],
    ["idle, 401: halted", { _link: Idle }, Event.Answer, T, 401, { _link: Halted }, [Effect.Drop, Effect.Refused, Effect.Settle]],
    ["dialing, 403: halted", { _link: Dialing }, Event.Answer, T, 403, { _link: Halted }, [Effect.Drop, Effect.Refused, Effect.Settle]],
    ["304 on stale service data: as good as the snapshot again, the backoff starts over", { _fresh: Stale, _attempt: 3, _heard: T - 90_000, _watch: true }, Event.Answer, T, 304, { _fresh: Fresh, _attempt: 0, _heard: T, _due: LIMIT / 2, _watch: false }, [Effect.Ready, Effect.Settle, Effect.Timer]],
    ["304 on fresh data: heard", { _fresh: Fresh, _attempt: 1, _heard: T - 1 }, Event.Answer, T, 304, { _attempt: 0, _heard: T, _due: LIMIT / 2 }, [Effect.Timer]],
    ["304 on cached data: the backoff starts over, the cache stays cached", { _fresh: Cached, _attempt: 3, _heard: T - 1 }, Event.Answer, T, 304, { _attempt: 0 }, []],
    ["open: a newer socket wins, even over a 401", { _link: Open }, Event.Answer, T, 401, {}, []],
    ["open, 200: ignored", { _link: Open }, Event.Answer, T, 200, {}, []],
    ["halted: ignored", { _link: Halted, _attempt: 2 }, Event.Answer, T, 304, {}, []],
    ["closed: ignored", { _link: Closed }, Event.Answer, T, 200, {}, []],
  ]);
});

describe("Stamp: the cache's age is the client's own clock's", () => {
  table([
    ["received in the past: as written", {}, Event.Stamp, T, T - 10_000, { _heard: T - 10_000 }, []],
    ["a little ahead (clock skew): now", {}, Event.Stamp, T, T + SKEW_MS, { _heard: T }, []],
    ["beyond the skew: as old as can be", {}, Event.Stamp, T, T + SKEW_MS + 1, { _heard: 0 }, []],
  ]);
});

describe("Snapshot and Patch: service data applied", () => {
  const fresh = { _fresh: Fresh, _heard: T, _attempt: 0, _due: LIMIT / 2 };
  table([
    ["none → fresh: ready, the backoff and the resync start over", { _link: Open, _attempt: 3, _resync: true }, Event.Snapshot, T, [], { ...fresh, _resync: false }, [Effect.Ready, Effect.Settle, Effect.Timer]],
    ["cached → fresh", { _link: Open, _fresh: Cached, _heard: T - 5 }, Event.Snapshot, T, [], fresh, [Effect.Ready, Effect.Settle, Effect.Timer]],
    ["old → fresh", { _link: Open, _fresh: Old, _watch: true }, Event.Snapshot, T, [], { ...fresh, _watch: false }, [Effect.Ready, Effect.Settle, Effect.Timer]],
    ["stale → fresh", { _link: Open, _fresh: Stale, _watch: true }, Event.Snapshot, T, [], { ...fresh, _watch: false }, [Effect.Ready, Effect.Settle, Effect.Timer]],
    ["fresh: no second ready", { _link: Open, _fresh: Fresh, _heard: T - 100 }, Event.Snapshot, T, [], fresh, [Effect.Timer]],
    ["a patch does not answer a resync", { _link: Open, _fresh: Fresh, _resync: true, _attempt: 2 }, Event.Patch, T, [], fresh, [Effect.Timer]],
    ["the smallest limit, open or closed, times staleness; a fail-closed one sets the ping (a third of it), restarted on the socket", { _link: Open, _fresh: Fresh }, Event.Patch, T, [30_000, -3_000, 9_000], { ...fresh, _staleMs: 3_000, _pingMs: 1_000, _due: 1_500 }, [Effect.Pings, Effect.Timer]],
    ["while dialing the ping is restarted too", { _link: Dialing }, Event.Snapshot, T, [-6_000], { ...fresh, _staleMs: 6_000, _pingMs: 2_000, _due: 3_000 }, [Effect.Pings, Effect.Ready, Effect.Settle, Effect.Timer]],
    ["without a socket the new period waits for the next one", { _link: Idle }, Event.Snapshot, T, [-6_000], { ...fresh, _staleMs: 6_000, _pingMs: 2_000, _due: 3_000 }, [Effect.Ready, Effect.Settle, Effect.Timer]],
    ["the same period: no restart", { _link: Open, _fresh: Fresh, _pingMs: 2_000 }, Event.Patch, T, [-6_000], { ...fresh, _staleMs: 6_000, _due: 3_000 }, [Effect.Timer]],
    ["fail-open limits alone: a ping every 10 s", { _link: Open, _fresh: Fresh, _pingMs: 2_000 }, Event.Patch, T, [5_000], { ...fresh, _staleMs: 5_000, _pingMs: 10_000, _due: 2_500 }, [Effect.Pings, Effect.Timer]],
    ["a long fail-closed limit: every 10 s at most", { _link: Open, _fresh: Fresh, _pingMs: 2_000 }, Event.Patch, T, [-90_000], { ...fresh, _staleMs: 90_000, _pingMs: 10_000, _due: 45_000 }, [Effect.Pings, Effect.Timer]],
    ["a tiny fail-closed limit: every 100 ms at least", { _link: Open, _fresh: Fresh }, Event.Patch, T, [-150], { ...fresh, _staleMs: 150, _pingMs: 100, _due: 75 }, [Effect.Pings, Effect.Timer]],
    ["a limit of 0 (the option staleAfterMs: 0): stale at once; a fail-closed flag's -0 is no limit below 0, so no ping faster than every 10 s", { _link: Open, _fresh: Fresh, _pingMs: 2_000 }, Event.Patch, T, [-0], { ...fresh, _fresh: Stale, _staleMs: 0, _pingMs: 10_000, _due: 0, _watch: true }, [Effect.Pings, Effect.Stale, Effect.Timer]],
    ["the limits gone: the client's default again", { _link: Open, _fresh: Fresh, _staleMs: 3_000, _pingMs: 1_000 }, Event.Patch, T, [], { ...fresh, _staleMs: LIMIT, _pingMs: 10_000 }, [Effect.Pings, Effect.Timer]],
    ["after close(): no timer", { _link: Closed, _fresh: Stale, _watch: true }, Event.Patch, T, [], { ...fresh, _due: 0 }, [Effect.Ready, Effect.Settle, Effect.Timer]],
  ]);
});

describe("Cached: a line of the persisted cache applied, aged from its stamp", () => {
  table([
    ["none → cached: the timer at half the limit that is left", { _heard: T - 10_000 }, Event.Cached, T, [], { _fresh: Cached, _due: 20_000 }, [Effect.Timer]],
    ["none → cached, past half the limit: evaluation measures", { _heard: T - 40_000 }, Event.Cached, T, [], { _fresh: Cached, _due: 20_000, _watch: true }, [Effect.Timer]],
    ["none → old: received a limit ago, stale at once", { _heard: T - LIMIT }, Event.Cached, T, [], { _fresh: Old, _watch: true }, [Effect.Stale, Effect.Timer]],
    ["old: stale once only", { _fresh: Old, _heard: 0, _watch: true }, Event.Cached, T, [], {}, [Effect.Timer]],
    ["its limits, with the ping restarted on a socket", { _link: Dialing, _heard: T }, Event.Cached, T, [-3_000], { _fresh: Cached, _staleMs: 3_000, _pingMs: 1_000, _due: 1_500 }, [Effect.Pings, Effect.Timer]],
    ["service data already fresh stays fresh", { _fresh: Fresh, _heard: T }, Event.Cached, T, [], { _due: LIMIT / 2 }, [Effect.Timer]],
  ]);
});

describe("Tick: the stale timer", () => {
  table([
    ["before half the limit: fires again at half", { _fresh: Fresh, _heard: T - 29_999 }, Event.Tick, T, undefined, { _due: 1 }, [Effect.Timer]],
    ["at half the limit: evaluation measures from now on, the timer fires at the limit", { _fresh: Fresh, _heard: T - 30_000 }, Event.Tick, T, undefined, { _due: 30_000, _watch: true }, [Effect.Timer]],
    ["one ms before the limit", { _fresh: Fresh, _heard: T - 59_999, _watch: true }, Event.Tick, T, undefined, { _due: 1 }, [Effect.Timer]],
    ["fresh at the limit → stale", { _fresh: Fresh, _heard: T - LIMIT }, Event.Tick, T, undefined, { _fresh: Stale, _watch: true }, [Effect.Stale, Effect.Timer]],
    ["cached at the limit → old", { _fresh: Cached, _heard: T - LIMIT - 1 }, Event.Tick, T, undefined, { _fresh: Old, _watch: true }, [Effect.Stale, Effect.Timer]],
    ["stale: stale once only, no timer", { _fresh: Stale, _heard: T - 2 * LIMIT, _watch: true, _due: 7 }, Event.Tick, T, undefined, { _due: 0 }, [Effect.Timer]],
    ["none: no timer, evaluation reads no clock", { _heard: 0, _due: 7 }, Event.Tick, T, undefined, { _due: 0 }, [Effect.Timer]],
    ["closed: no timer", { _link: Closed, _fresh: Fresh, _heard: T, _watch: true, _due: 7 }, Event.Tick, T, undefined, { _due: 0 }, [Effect.Timer]],
    ["a limit of Infinity: one idle timer at the longest delay, never watching", { _fresh: Fresh, _heard: T, _staleMs: Infinity }, Event.Tick, T, undefined, { _due: MAX_DELAY }, [Effect.Timer]],
    ["a limit longer than a timer's delay: the longest delay", { _fresh: Fresh, _heard: T, _staleMs: 2 ** 33 }, Event.Tick, T, undefined, { _due: MAX_DELAY }, [Effect.Timer]],
  ]);
});

describe("Resync and Behind: one resync outstanding per socket", () => {
  table([
    ["none outstanding: ask", { _link: Open }, Event.Resync, T, undefined, { _resync: true }, [Effect.Resync]],
    ["one outstanding: not again", { _link: Open, _resync: true }, Event.Resync, T, undefined, {}, []],
    ["behind: ask again", { _link: Open, _resync: true }, Event.Behind, T, undefined, {}, [Effect.Resync]],
    ["behind, none outstanding", { _link: Open }, Event.Behind, T, undefined, { _resync: true }, [Effect.Resync]],
  ]);
});

describe("Close", () => {
  table([
    ["open → closed: everything stops, evaluation measures the silence from now on", { _link: Open, _fresh: Fresh, _heard: T, _due: 30_000 }, Event.Close, T, undefined, { _link: Closed, _watch: true, _due: 0 }, [Effect.Drop, Effect.Abort, Effect.Settle, Effect.Timer]],
    ["idle (retrying) → closed", { _link: Idle }, Event.Close, T, undefined, { _link: Closed, _watch: true }, [Effect.Drop, Effect.Abort, Effect.Settle, Effect.Timer]],
    ["halted → closed", { _link: Halted, _fresh: Cached }, Event.Close, T, undefined, { _link: Closed, _watch: true }, [Effect.Drop, Effect.Abort, Effect.Settle, Effect.Timer]],
    ["closed: once", { _link: Closed, _watch: true }, Event.Close, T, undefined, {}, []],
  ]);
});

it("gives every effect its own letter, so that a step's string of effects reads back unambiguously", () => {
  const letters = Object.values(Effect);
  expect(letters.every((l) => l.length === 1)).toBe(true);
  expect(new Set(letters).size).toBe(letters.length);
});
