/**
 * The Killswitch client: holds the flags of one environment in memory, keeps
 * them current over a WebSocket (protocol 1), and evaluates synchronously.
 *
 * Shaped for size (the core bundle's budget is 6 KiB gzipped): one closure
 * instead of a class, so every piece of state is a local the minifier renames;
 * string unions instead of enums; short error messages; helpers shared with the
 * evaluator (murmur3); no dependency.
 *
 * Evaluation (`isEnabled` and the other getters) is the hot path: while the
 * client is fresh it reads no clock (see `checkStale`).
 *
 * @packageDocumentation
 */
import type { EvaluationContext, EvaluationResult, JsonValue, Segment, WireFlag } from "./model.js";
import {
  PING,
  PONG,
  PROTOCOL_VERSION,
  SUBPROTOCOL,
  type ClientMessage,
  type HttpSnapshot,
  type PatchMessage,
  type ServerMessage,
} from "./protocol.js";
import { Ruleset } from "./ruleset.js";
import { murmur3 } from "./evaluator/hash.js";
import { backoff } from "./client/backoff.js";
import { emitter } from "./client/emitter.js";
import type { Platform } from "./client/platform.js";
import type { SnapshotStorage } from "./client/storage.js";
import { streamUrl, type Socket, type WebSocketConstructor } from "./client/transport.js";
import { SDK_VERSION, type ClientOptions, type KillswitchClient, type Widen } from "./client/api.js";

export { SDK_VERSION } from "./client/api.js";
export type { ChangeEvent, ClientEvents, ClientOptions, KillswitchClient, ReadyStatus } from "./client/api.js";

/** What the cache holds: `k` tells snapshots of different keys apart; `at` is when it was received. */
interface Persisted {
  k: string;
  at: number;
  v: number;
  env?: string;
  flags: Record<string, WireFlag>;
  segments: Record<string, Segment>;
}

// No `| undefined`: clearing an unset timer is a no-op everywhere, and Workers' types take `number | null` only.
type Timer = ReturnType<typeof setTimeout>;

const error = (message: string, cause?: unknown): Error => new Error(`killswitch: ${message}`, { cause });

// An instance id names an instance in the service's lists; it guards nothing, so
// Math.random (every runtime, fewer bytes than crypto) is enough: its ~52 bits in base 36.
const randomId = (): string => Math.random().toString(36).slice(2);

/**
 * Creates a client and starts connecting. Synchronous; await {@link KillswitchClient.ready}
 * before serving traffic that must see the service's rules.
 *
 * @example
 * ```ts
 * import { createClient } from "@killswitch/sdk";
 *
 * const client = createClient({ url: "https://killswitch.example.com", sdkKey: process.env.KILLSWITCH_SDK_KEY!, app: "chat-api" });
 * await client.ready({ timeoutMs: 2_000 });
 * const model = client.firstAvailable(["model.fable-5", "model.sonnet"], { key: user.id, nationality: user.nationality });
 * ```
 */
export const createClient = (
  options: ClientOptions,
  /** @internal What the runtime's entry adds (the Node entry: `ws`, a file cache). */
  platform: Platform = {},
): KillswitchClient => {
  const { sdkKey, app = "unknown", staleAfterMs = 60_000, reconnectDelayMs = 3_000, cache } = options;
  const base = options.url.replace(/\/+$/, "");
  const instance = randomId();
  // Names the key in the cache without storing it (the evaluator's hash: no second one in the bundle).
  const keyId = murmur3(sdkKey).toString(36);
  const storeKey = `killswitch:${keyId}`;
  // A SnapshotStorage, else a file (Node entry only): `cache` is its path or `{ path }`.
  const store = cache ? ("get" in Object(cache) ? (cache as SnapshotStorage) : platform._file?.((cache as { path: string }).path ?? cache, instance)) : undefined;
  const rules = new Ruleset({ staleAfterMs });
  const [on, emit] = emitter();
  const aborter = new AbortController();
  const now = Date.now;
  // Resolves once service data is applied, or once the client stops (closed, key refused): ready() waits for it.
  let settle!: () => void;
  const settled = new Promise<void>((r) => (settle = r));

  let env: string | undefined;
  let flags: Record<string, WireFlag> = {};
  let segments: Record<string, Segment> = {};
  // When the service was last heard from; for cached data, when the cache was received.
  let heardAt = 0;
  // live: service data was applied in this process. stale: silent past staleMs since.
  let live = false;
  let stale = false;
  // watch: the silence may reach a flag's limit soon, so evaluation measures it (checkStale).
  let watch = false;
  let closed = false;
  // halted: no more connecting (closed, or the key was refused).
  let halted = false;
  let staleMs = staleAfterMs;
  let pingMs = 10_000;
  let sock: Socket | undefined;
  let sockOpen = false;
  let sockHeardAt = 0;
  let resyncing = false;
  let attempt = 0;
  let etag: string | undefined;
  let lastError: unknown;
  let retryTimer: Timer;
  let pingTimer: ReturnType<typeof setInterval>;
  let staleTimer: Timer;
  let writing: Promise<void> | undefined;
  let dirty = false;

  const fail = (e: unknown): void => {
    lastError = e;
    emit("error", e instanceof Error ? e : error(String(e)));
  };

  const send = (m: ClientMessage | string): void => {
    if (sock?.readyState === 1) sock.send(typeof m == "string" ? m : JSON.stringify(m));
  };

  // One timer, rescheduled from heardAt. Evaluation must not pay for a clock read
  // while the client is fresh, so it passes a silence of 0 until `watch` is set: at half
  // the smallest limit (staleMs) — the other half is a margin for a late timer or a
  // busy event loop —; from then on each evaluation measures the silence exactly, so
  // STALE and CACHED start at the limit as before. At the limit the timer emits `stale`.
  // Hearing from the service re-arms it and clears `watch`.
  const checkStale = (): void => {
    clearTimeout(staleTimer);
    if (closed || rules.version < 0) return;
    const left = heardAt + staleMs - now();
    const early = left - staleMs / 2;
    watch = early <= 0;
    // A delay over 2³¹ - 1 ms (or NaN, from a limit of Infinity) would fire at once, in a loop: the timer's maximum instead.
    // The timer must not keep a Node (or Bun) process alive; elsewhere timers are numbers.
    if (left > 0) (staleTimer = setTimeout(checkStale, Math.min(watch ? left : early, 2 ** 31 - 1) || 2 ** 31 - 1) as { unref?(): void } & Timer).unref?.();
    else if (!stale) {
      stale = true;
      emit("stale");
    }
  };

  // Only service data in this process is freshened by hearing: a pong must not
  // make an old cached snapshot look current. `data`: service data was just applied.
  const heard = (data?: boolean): void => {
    if (!live && !data) return;
    const fresh = live && !stale;
    live = true;
    stale = false;
    heardAt = now();
    if (!fresh) {
      emit("ready");
      settle();
    }
    checkStale();
  };

  // Coalesces writes: one in flight, the latest state written after it.
  const persist = (): void => {
    dirty = true;
    writing ||= (async () => {
      while (dirty) {
        dirty = false;
        try {
          await store!.set(storeKey, JSON.stringify({ k: keyId, at: heardAt, v: rules.version, env, flags, segments } satisfies Persisted));
        } catch (e) {
          fail(e);
        }
      }
      writing = undefined;
    })();
  };

  // Applies a snapshot, or the patch `p` whose result is the state `f`, `s`. The change
  // event names the flags whose version changed or that name a segment whose version
  // changed: one diff for both paths, and the segments a flag names come from the
  // compiled flag, like its staleness limit.
  const apply = (
    v: number,
    e: string | undefined,
    f: Record<string, WireFlag>,
    s: Record<string, Segment>,
    service: boolean,
    p?: PatchMessage,
  ): void => {
    const old = rules.version;
    const changed = new Set<string>();
    const segs = new Set<string>();
    for (const k in { ...flags, ...f }) if (flags[k]?.version !== f[k]?.version) changed.add(k);
    for (const k in { ...segments, ...s }) if (segments[k]?.version !== s[k]?.version) segs.add(k);
    if (p) rules.patch(p, v);
    else rules.load(f, s, v);
    // Ack before listeners run: the service measures propagation by acks.
    if (service) send({ t: "ack", v });
    flags = f;
    segments = s;
    env = e;
    let ping = 3e4;
    staleMs = Infinity;
    for (const k of rules.keys()) {
      // A flag that could not be compiled serves callers' defaults: its limit is Infinity.
      const c = rules._find(k)!;
      if (c._refs.some((r) => segs.has(r))) changed.add(k);
      staleMs = Math.min(staleMs, c._staleAfter);
      if (c._closed) ping = Math.min(ping, c._staleAfter);
    }
    if (staleMs == Infinity) staleMs = staleAfterMs;
    // A fail-closed flag must hear a pong well within its limit: three pings per limit, every 10 s at most.
    ping = Math.max(Math.min(ping / 3, 1e4), 100);
    if (ping != pingMs) {
      pingMs = ping;
      if (sock) startPing();
    }
    if (service) {
      heard(true);
      if (store) persist();
    } else checkStale();
    if (changed.size || rules.version != old) emit("change", { flags: [...changed], version: rules.version });
  };

  const resync = (): void => {
    if (!resyncing) send({ t: "resync" });
    resyncing = true;
  };

  const onMessage = (data: unknown): void => {
    sockHeardAt = now();
    attempt = 0;
    // Any frame counts as heard, a pong or one this version does not know included.
    heard();
    if (data === PONG) return;
    const m = JSON.parse(data as string) as ServerMessage;
    if (m.t == "snapshot") {
      resyncing = false;
      apply(m.v, m.env, m.flags, m.segments, true);
    } else if (m.v > rules.version) {
      // An old or duplicate patch is already applied; a gap, or a heartbeat ahead, needs the whole state.
      if (m.t == "patch" && m.prev === rules.version) {
        // The state after the patch, for the cache and the change event's diff.
        const f = { ...flags, ...m.flags };
        const s = { ...segments, ...m.segments };
        const { flags: goneFlags = [], segments: goneSegments = [] } = m.removed ?? {};
        for (const k of goneFlags) delete f[k];
        for (const k of goneSegments) delete s[k];
        apply(m.v, env, f, s, true, m);
      } else if (m.t == "patch") resync();
      else if (m.t == "hb") {
        resyncing = false;
        resync();
      }
    }
  };

  const startPing = (): void => {
    clearInterval(pingTimer);
    pingTimer = setInterval(() => {
      // Three intervals without a frame (or stuck connecting): the peer is gone.
      if (now() - sockHeardAt >= 3 * pingMs) lost(error(`no frame for ${3 * pingMs} ms`));
      else send(PING);
    }, pingMs);
  };

  // Detach first: a closing socket's late events must not touch the next one.
  const teardown = (graceful?: boolean): void => {
    clearInterval(pingTimer);
    const s = sock;
    sock = undefined;
    sockOpen = false;
    if (!s) return;
    s.onopen = s.onmessage = s.onclose = null;
    s.onerror = () => {}; // `ws` throws on an error event nobody listens to
    if (graceful && s.readyState == 1) s.close(1000);
    else if (s.terminate) s.terminate();
    else s.close();
  };

  const refused = (): void => {
    halted = true;
    teardown();
    clearTimeout(retryTimer);
    fail(error("sdk key refused"));
    settle();
  };

  const lost = (e: Error): void => {
    const opened = sockOpen;
    teardown();
    fail(e);
    // The socket cannot connect: the snapshot endpoint may still answer.
    if (!opened) poll();
    if (!halted) retryTimer = setTimeout(connect, backoff(++attempt, reconnectDelayMs));
  };

  const poll = async (): Promise<void> => {
    try {
      const headers: Record<string, string> = { authorization: `Bearer ${sdkKey}` };
      if (etag) headers["if-none-match"] = etag;
      const r = await (options.fetch ?? fetch)(`${base}/v1/snapshot`, { headers, signal: aborter.signal });
      // A socket opened meanwhile is newer than this answer.
      if (halted || sockOpen) return;
      if (r.status == 401 || r.status == 403) return refused();
      if (r.status == 304) {
        attempt = 0;
        return heard();
      }
      if (!r.ok) throw error(`GET /v1/snapshot ${r.status}`);
      const s = (await r.json()) as HttpSnapshot;
      etag = r.headers.get("etag") ?? undefined;
      attempt = 0;
      apply(s.version, s.env, s.flags, s.segments, true);
    } catch (e) {
      if (!closed) fail(e);
    }
  };

  const connect = async (): Promise<void> => {
    let s: Socket;
    try {
      // Where a WebSocket constructor exists, headers cannot be set: the key travels as the second
      // offered subprotocol (the server selects the first; the key is never in the URL). Without
      // one (Node 20) the platform opens the socket; a core without it falls back to polling.
      const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
      // Always awaited, so that a failure reaches listeners attached after createClient.
      const open = await (WS ? (u: string, k: string) => new WS(u, [SUBPROTOCOL, k]) as Socket : platform._socket?.());
      if (halted) return;
      s = open!(streamUrl(base), sdkKey);
    } catch (e) {
      return lost(error("cannot open a WebSocket", e));
    }
    sock = s;
    sockHeardAt = now();
    resyncing = false;
    startPing();
    s.onopen = () => {
      sockOpen = true;
      // `since` only for data received in this process: the service then sends only what was missed.
      send({ t: "hello", protocol: PROTOCOL_VERSION, sdk: `@killswitch/sdk@${SDK_VERSION}`, app, instance, since: live ? rules.version : undefined });
      // A pong at once tells a resumed client it is current, even when nothing was missed.
      send(PING);
    };
    s.onmessage = (e) => {
      try {
        onMessage(e.data);
      } catch (err) {
        fail(err);
      }
    };
    s.onerror = (e) => {
      lastError = e.error ?? e.message;
    };
    s.onclose = (e) => {
      if (e.code == 4001 /* CLOSE.UNAUTHORIZED */) refused();
      else lost(error(`stream closed (${e.code})`, lastError));
    };
  };

  const loaded = (async () => {
    try {
      // Awaited first: the error below must reach listeners attached after createClient.
      const raw = await store?.get(storeKey);
      // A file path where no platform supplies files (a browser, Workers): say so.
      if (cache && !store) throw error("cache: a path needs Node");
      const p = raw && (JSON.parse(raw) as Persisted);
      // Service data may have arrived first; a cache of another key is ignored.
      if (p && p.k == keyId && rules.version < 0 && !closed) {
        heardAt = p.at;
        apply(p.v, p.env, p.flags, p.segments, false);
      }
    } catch (e) {
      fail(e);
    }
  })();

  connect();

  // The hot path: no clock read unless the client may be stale (checkStale).
  const evaluate = <T extends JsonValue>(flag: string, context: EvaluationContext, defaultValue: T) =>
    rules.evaluate(flag, context, defaultValue, watch ? now() - heardAt : 0) as EvaluationResult<Widen<T>>;
  // One function serves the four typed getters: the evaluator checks the default's type.
  const value = <T extends JsonValue>(flag: string, context: EvaluationContext, defaultValue: T) =>
    evaluate(flag, context, defaultValue).value as T;

  return {
    instance,
    get version() {
      return rules.version;
    },
    get env() {
      return env;
    },
    async ready({ timeoutMs = 5_000 } = {}) {
      let timer!: Timer;
      // `true` when the time ran out before service data (or the end of the client).
      const late = await new Promise<unknown>((r) => {
        timer = setTimeout(r, timeoutMs, true);
        settled.then(r);
      });
      clearTimeout(timer);
      if (late && !live) emit("error", error(`no snapshot in ${timeoutMs} ms`, lastError));
      await loaded;
      return live ? "ready" : rules.version < 0 ? "defaults" : "cached";
    },
    isEnabled: value,
    getString: value,
    getNumber: value,
    getJson: value,
    evaluate,
    firstAvailable: (keys, context) => keys.find((k) => evaluate(k, context, false).value),
    on: on as KillswitchClient["on"],
    async close() {
      if (closed) return;
      // Nothing is heard any more: from now on evaluation measures the silence.
      closed = halted = watch = true;
      clearTimeout(retryTimer);
      clearTimeout(staleTimer);
      teardown(true);
      aborter.abort();
      settle();
      await writing;
    },
  };
};
