/**
 * The client's connection and freshness lifecycle as a pure state machine:
 * `step(state, event, now, arg)` answers the next state and the effects to run, in
 * order. It holds no timer, socket or promise and reads no clock (`now` is given):
 * `createClient` (client.ts) is the adapter that feeds it events and runs its effects.
 *
 * Two regions, each an explicit state, plus the counters they need:
 *
 * - `_link`, the stream: `idle` (no socket; a reconnect is due, or the first one starts)
 *   → `dialing` (a socket, not open yet) → `open` → back to `idle` when it is lost.
 *   `halted`: the key was refused, nothing reconnects (only `close()` leads on, to `closed`);
 *   `closed`: `close()` was called, final.
 * - `_fresh`, what evaluation serves: `none` (nothing applied), `cached` (the persisted
 *   cache's data) and `old` (the same, past its limit); `fresh` (data from the service in
 *   this process, heard from within the limit) and `stale` (not heard from since).
 *
 * Only data from the service makes the client `fresh`; a frame (a pong) keeps fresh
 * data fresh, or makes stale data fresh again, but never an old cache current. The
 * backoff starts over only once a valid snapshot or patch is applied (or a poll's 304
 * confirms the one applied), never on an arbitrary frame.
 *
 * @packageDocumentation
 */
import type { ReadyStatus } from "./api.js";

/** The stream's state (see the file's comment). Numbers, inlined by the bundler: smaller than strings. */
export enum Link {
  Idle,
  Dialing,
  Open,
  Halted,
  Closed,
}

/** What evaluation serves (see the file's comment). Ordered: above `Old`, service data is applied ({@link live}). */
export enum Freshness {
  None,
  Cached,
  Old,
  Fresh,
  Stale,
}

/** The client's lifecycle state: one plain value, replaced (never changed) by each step. */
export interface Lifecycle {
  _link: Link;
  _fresh: Freshness;
  /** When the service was last heard from; for cached data, when the cache was received. */
  _heard: number;
  /** When the socket was created or last delivered a frame: three ping periods without one, it is dropped. */
  _sockHeard: number;
  /** Evaluation measures the silence (`now - _heard`): the smallest limit may be near. Else it passes 0 and reads no clock. */
  _watch: boolean;
  /** A resync was sent on this socket and no snapshot has answered it yet: it is not sent again. */
  _resync: boolean;
  /** Reconnects since data was last applied: the backoff's exponent. */
  _attempt: number;
  /** The smallest staleness limit of the flags held, else the client's default. */
  _staleMs: number;
  /** The ping period: a third of the smallest fail-closed limit, between 100 ms and 10 s. */
  _pingMs: number;
  /** The stale timer's delay, as of this step; 0: no timer. */
  _due: number;
  /** The client's default staleness limit (its `staleAfterMs`). */
  _after: number;
}

/**
 * What happens to the client. `arg` of {@link step}: `Answer` the poll's HTTP status;
 * `Stamp` the cache's `at`; `Cached`, `Snapshot` and `Patch` the staleness limits of
 * the flags now held (the Ruleset's `_limits` keys: negative for fail-closed flags);
 * `Dial` and `Lost` whatever their effects need (the socket's factory, the error).
 */
export enum Event {
  /** A reconnect is due (or the first connect): open a socket. */
  Dial,
  /** The socket opened. */
  Open,
  /** The socket delivered a frame, any frame: a pong, one that is refused. */
  Frame,
  /** The ping period elapsed. */
  Beat,
  /** The socket closed, failed, or could not be opened. */
  Lost,
  /** The socket was closed because of the key (4001). */
  Refused,
  /** A snapshot poll answered (arg: its status). */
  Answer,
  /** The persisted cache is read (arg: when it was received, its `at`). */
  Stamp,
  /** A line of the persisted cache was applied (arg: limits). */
  Cached,
  /** A snapshot from the service was applied (arg: limits). */
  Snapshot,
  /** A patch from the service was applied (arg: limits). */
  Patch,
  /** The stale timer fired. */
  Tick,
  /** A frame cannot be applied (a gap, a refused frame, patches outweighing the snapshot): the whole state is needed. */
  Resync,
  /** A heartbeat names a version ahead of the state: something was missed, ask again. */
  Behind,
  /** `close()`. */
  Close,
}

/**
 * What the adapter does. A step answers its effects as one string of these letters, run in
 * order (a string is smaller in the bundle than a list): `Pings` before `Socket` (a socket
 * that cannot be made throws), `Drop` before the report of why, the report before the next
 * try. Timer delays and counters are read from the new state.
 */
export enum Effect {
  /** (Re)start the ping interval, every `_pingMs`. */
  Pings = "i",
  /** Open a socket (with the factory given with `Dial`). */
  Socket = "o",
  /** Send `hello` (with `since` when {@link live}), then a ping. */
  Hello = "h",
  /** Send a ping. */
  Ping = "p",
  /** Send `resync`. */
  Resync = "r",
  /** Detach and drop the socket (gracefully once closed), and cancel a pending reconnect. */
  Drop = "d",
  /** Report the error given with the event. */
  Fail = "f",
  /** Report three ping periods without a frame. */
  Silent = "l",
  /** Report the refused key. */
  Refused = "k",
  /** Poll the snapshot once (the socket never opened: the HTTP endpoint may still answer). */
  Poll = "g",
  /** Reconnect after the backoff of `_attempt`. */
  Retry = "t",
  /** Emit `ready`. */
  Ready = "y",
  /** Emit `stale`. */
  Stale = "s",
  /** Clear the stale timer and, when `_due` is not 0, set it to fire in `_due` ms. */
  Timer = "m",
  /** Read the poll's body and apply it (an answer that is not 2xx is an error). */
  Read = "b",
  /** Cancel the poll. */
  Abort = "a",
  /** `ready()` may return: service data was applied, or the client stopped (closed, key refused). */
  Settle = "e",
}

/** The effects of one step, in order: a string of {@link Effect} letters ("" for none). */
export type Effects = string;

/** A cache written this far in the future is stale: another clock may be a little ahead, not more. */
export const SKEW_MS = 5_000;

// The longest delay a timer takes: a longer one (or NaN, from a limit of Infinity) would fire at once, in a loop.
const MAX_DELAY = 2 ** 31 - 1;

/** The state of a new client whose default staleness limit is `staleAfterMs`. */
export const lifecycle = (staleAfterMs: number): Lifecycle => ({
  _link: Link.Idle,
  _fresh: Freshness.None,
  _heard: 0,
  _sockHeard: 0,
  _watch: false,
  _resync: false,
  _attempt: 0,
  _staleMs: staleAfterMs,
  _pingMs: 1e4,
  _due: 0,
  _after: staleAfterMs,
});

/** Service data is applied in this process (fresh or stale): `hello` may resume from its version. */
export const live = (s: Lifecycle): boolean => s._fresh > Freshness.Old;

/** What `ready()` answers in this state. */
export const status = (s: Lifecycle): ReadyStatus => (live(s) ? "ready" : s._fresh ? "cached" : "defaults");

// The stale timer, rescheduled from `_heard`. Evaluation must not pay for a clock read while
// the client is fresh, so it passes a silence of 0 until `_watch` is set: at half the limit
// (the other half is a margin for a late timer or a busy event loop); from then on each
// evaluation measures the silence exactly, so STALE and CACHED start at the limit. At the
// limit the timer emits `stale`, once: Cached becomes Old, Fresh becomes Stale.
const check = (s: Lifecycle, now: number): Effects => {
  s._due = 0;
  if (s._link != Link.Closed && s._fresh) {
    const left = s._heard + s._staleMs - now;
    const early = left - s._staleMs / 2;
    s._watch = early <= 0;
    if (left > 0) s._due = Math.min(s._watch ? left : early, MAX_DELAY) || MAX_DELAY;
    else if (s._fresh == Freshness.Cached || s._fresh == Freshness.Fresh) {
      s._fresh++;
      return Effect.Stale + Effect.Timer;
    }
  }
  return Effect.Timer;
};

// Only service data in this process is freshened by hearing: a pong must not make an old
// cached snapshot look current. `data`: service data was just applied.
const heard = (s: Lifecycle, now: number, data?: boolean): Effects => {
  if (!data && !live(s)) return "";
  const fx = s._fresh == Freshness.Fresh ? "" : Effect.Ready + Effect.Settle;
  s._fresh = Freshness.Fresh;
  s._heard = now;
  return fx + check(s, now);
};

// The socket is gone: report why, poll if it never opened, reconnect unless the client has ended.
const lose = (s: Lifecycle, why: Effect): Effects => {
  let fx = Effect.Drop + why;
  if (s._link < Link.Open) fx += Effect.Poll;
  if (s._link < Link.Halted) {
    s._link = Link.Idle;
    s._attempt++;
    fx += Effect.Retry;
  }
  return fx;
};

// The limits of the flags held: the stale timer follows the smallest, and a fail-closed flag
// must hear a pong well within its own (three pings per limit, every 10 s at most).
const limits = (s: Lifecycle, keys: Iterable<number>): Effects => {
  let stale = Infinity;
  let ping = 3e4;
  for (const limit of keys) {
    stale = Math.min(stale, Math.abs(limit));
    if (limit < 0) ping = Math.min(ping, -limit);
  }
  s._staleMs = stale == Infinity ? s._after : stale;
  ping = Math.max(Math.min(ping / 3, 1e4), 100);
  if (ping == s._pingMs) return "";
  s._pingMs = ping;
  return s._link == Link.Dialing || s._link == Link.Open ? Effect.Pings : "";
};

/**
 * One transition: the state after `event` at time `now` (ms since the epoch), and the
 * effects to run, in order. Pure: `state` is not changed.
 *
 * @example
 * ```ts
 * const [next, effects] = step(lifecycle(60_000), Event.Dial, Date.now());
 * // next._link === Link.Dialing; effects === Effect.Pings + Effect.Socket
 * ```
 */
export const step = (state: Lifecycle, event: Event, now: number, arg?: unknown): [Lifecycle, Effects] => {
  const s = { ...state };
  let fx: Effects = "";
  const ended = s._link > Link.Open;
  switch (event) {
    case Event.Dial:
      if (ended) break;
      s._link = Link.Dialing;
      s._sockHeard = now;
      s._resync = false;
      // The ping interval also bounds the wait for the socket to open.
      fx = Effect.Pings + Effect.Socket;
      break;
    case Event.Open:
      s._link = Link.Open;
      fx = Effect.Hello;
      break;
    case Event.Frame:
      s._sockHeard = now;
      fx = heard(s, now);
      break;
    case Event.Beat:
      // Three periods without a frame (or stuck connecting): the peer is gone.
      fx = now - s._sockHeard >= 3 * s._pingMs ? lose(s, Effect.Silent) : Effect.Ping;
      break;
    case Event.Lost:
      fx = lose(s, Effect.Fail);
      break;
    case Event.Answer:
      // A socket opened meanwhile is newer than this answer.
      if (ended || s._link == Link.Open) break;
      if (arg == 304) {
        // The service confirms the applied snapshot (its ETag) is current: as good as applying it again.
        s._attempt = 0;
        fx = heard(s, now);
        break;
      }
      if (arg != 401 && arg != 403) {
        fx = Effect.Read;
        break;
      }
    // falls through: the key was refused.
    case Event.Refused:
      if (ended) break;
      s._link = Link.Halted;
      fx = Effect.Drop + Effect.Refused + Effect.Settle;
      break;
    case Event.Stamp:
      // Written in the future (beyond a clock skew): as old as can be, so stale at once.
      s._heard = (arg as number) > now + SKEW_MS ? 0 : Math.min(arg as number, now);
      break;
    case Event.Snapshot:
      s._resync = false;
    // falls through
    case Event.Patch:
      // Only applied data shows the service is sound: the backoff starts over.
      s._attempt = 0;
      fx = limits(s, arg as Iterable<number>) + heard(s, now, true);
      break;
    case Event.Cached:
      fx = limits(s, arg as Iterable<number>);
      s._fresh ||= Freshness.Cached;
      fx += check(s, now);
      break;
    case Event.Tick:
      fx = check(s, now);
      break;
    case Event.Resync:
      if (s._resync) break;
    // falls through
    case Event.Behind:
      s._resync = true;
      fx = Effect.Resync;
      break;
    case Event.Close:
      if (s._link == Link.Closed) break;
      // Nothing is heard any more: from now on evaluation measures the silence.
      s._link = Link.Closed;
      s._watch = true;
      fx = Effect.Drop + Effect.Abort + Effect.Settle + check(s, now);
  }
  return [s, fx];
};
