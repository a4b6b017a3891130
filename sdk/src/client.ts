/**
 * The Killswitch client: holds the flags of one environment in memory, keeps
 * them current over a WebSocket (protocol 1), and evaluates synchronously.
 *
 * Shaped for size (the core bundle's budget is 6 KiB gzipped): one closure
 * instead of a class, so every piece of state is a local the minifier renames;
 * string unions instead of enums; no dependency.
 *
 * @packageDocumentation
 */
import type { EvaluationContext, EvaluationResult, JsonValue, Segment, WireFlag } from "./model.js";
import {
  PING,
  PONG,
  PROTOCOL_VERSION,
  type ClientMessage,
  type HttpSnapshot,
  type PatchMessage,
  type ServerMessage,
} from "./protocol.js";
import { Ruleset } from "./ruleset.js";
import { backoff } from "./client/backoff.js";
import { emitter } from "./client/emitter.js";
import { fileStorage } from "./client/storage.js";
import { socketOpener, streamUrl, type Socket } from "./client/transport.js";
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

type Timer = ReturnType<typeof setTimeout> | undefined;

const error = (message: string, cause?: unknown): Error => new Error(`killswitch: ${message}`, { cause });

/** FNV-1a: names the key in the cache without storing it. */
const hash = (s: string): string => {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x1000193);
  return (h >>> 0).toString(36);
};

// getRandomValues exists in every runtime, unlike randomUUID (secure contexts only).
const randomId = (): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => (b | 256).toString(16).slice(1)).join("");

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
export const createClient = (options: ClientOptions): KillswitchClient => {
  const { sdkKey, app = "unknown", staleAfterMs = 60_000, reconnectDelayMs = 3_000, cache } = options;
  const base = options.url.replace(/\/+$/, "");
  const instance = randomId();
  const keyId = hash(sdkKey);
  const storeKey = `killswitch:${keyId}`;
  const store = typeof cache == "string" ? fileStorage(cache, instance) : cache && "get" in cache ? cache : cache && fileStorage(cache.path, instance);
  const rules = new Ruleset({ staleAfterMs });
  const { on, emit } = emitter();
  const aborter = new AbortController();
  const now = Date.now;

  let env: string | undefined;
  let flags: Record<string, WireFlag> = {};
  let segments: Record<string, Segment> = {};
  // When the service was last heard from; for cached data, when the cache was received.
  let heardAt = 0;
  // live: service data was applied in this process. stale: silent past staleMs since.
  let live = false;
  let stale = false;
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
  let pingTimer: ReturnType<typeof setInterval> | undefined;
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

  // One timer, rescheduled from heardAt: fires `stale` once the silence reaches staleMs.
  const checkStale = (): void => {
    clearTimeout(staleTimer);
    if (closed || rules.version < 0) return;
    const left = heardAt + staleMs - now();
    if (left > 0) staleTimer = setTimeout(checkStale, left);
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
    if (!fresh) emit("ready");
    checkStale();
  };

  // Coalesces writes: one in flight, the latest state written after it.
  const persist = (): void => {
    dirty = true;
    writing ||= (async () => {
      while (dirty) {
        dirty = false;
        const p: Persisted = { k: keyId, at: heardAt, v: rules.version, env, flags, segments };
        try {
          await store!.set(storeKey, JSON.stringify(p));
        } catch (e) {
          fail(e);
        }
      }
      writing = undefined;
    })();
  };

  const commit = (changed: Set<string>, segs: Set<string>, old: number, service: boolean): void => {
    let ping = 10_000;
    let min = Infinity;
    for (const k in flags) {
      const f = flags[k]!;
      try {
        const ms = f.staleAfterMs ?? staleAfterMs;
        if (f.rules.some((r) => r.when.some((c) => "segment" in c && c.segment.some((s) => segs.has(s))))) changed.add(k);
        min = Math.min(min, ms);
        // A fail-closed flag must hear a pong well within its limit: three pings per limit.
        if (f.failMode == "closed") ping = Math.min(ping, ms / 3);
      } catch {
        // A config the evaluator cannot compile serves callers' defaults; it may have changed.
        changed.add(k);
      }
    }
    staleMs = min < Infinity ? min : staleAfterMs;
    ping = Math.max(ping, 100);
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

  // Takes a snapshot message, a persisted snapshot or a mapped HTTP snapshot as they are.
  const load = (s: Pick<Persisted, "v" | "env" | "flags" | "segments">, service: boolean): void => {
    const old = rules.version;
    const changed = new Set<string>();
    const segs = new Set<string>();
    for (const k in { ...flags, ...s.flags }) if (flags[k]?.version !== s.flags[k]?.version) changed.add(k);
    for (const k in { ...segments, ...s.segments }) if (segments[k]?.version !== s.segments[k]?.version) segs.add(k);
    rules.load(s.flags, s.segments, s.v);
    // Ack before listeners run: the service measures propagation by acks.
    if (service) send({ t: "ack", v: s.v });
    flags = s.flags;
    segments = s.segments;
    env = s.env;
    commit(changed, segs, old, service);
  };

  const patch = (m: PatchMessage): void => {
    const old = rules.version;
    rules.patch(m, m.v);
    send({ t: "ack", v: m.v });
    flags = { ...flags, ...m.flags };
    segments = { ...segments, ...m.segments };
    const { flags: goneFlags = [], segments: goneSegments = [] } = m.removed ?? {};
    for (const k of goneFlags) delete flags[k];
    for (const k of goneSegments) delete segments[k];
    const keys = (o: object, removed: string[]) => new Set([...Object.keys(o), ...removed]);
    commit(keys(m.flags, goneFlags), keys(m.segments, goneSegments), old, true);
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
      load(m, true);
    } else if (m.v > rules.version) {
      // An old or duplicate patch is already applied; a gap, or a heartbeat ahead, needs the whole state.
      if (m.t == "patch" && m.prev === rules.version) patch(m);
      else if (m.t == "patch") resync();
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
    fail(error("the SDK key was refused; not reconnecting"));
    emit("x");
  };

  const retry = (): void => {
    if (!halted) retryTimer = setTimeout(connect, backoff(++attempt, reconnectDelayMs));
  };

  const lost = (e: Error): void => {
    const opened = sockOpen;
    teardown();
    fail(e);
    // The socket cannot connect: the snapshot endpoint may still answer.
    if (!opened) poll();
    retry();
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
      if (!r.ok) throw error(`GET /v1/snapshot answered ${r.status}`);
      const s = (await r.json()) as HttpSnapshot;
      etag = r.headers.get("etag") ?? undefined;
      attempt = 0;
      load({ ...s, v: s.version }, true);
    } catch (e) {
      if (!closed) fail(e);
    }
  };

  const connect = async (): Promise<void> => {
    let s: Socket;
    try {
      const open = await socketOpener(options.WebSocket);
      if (halted) return;
      s = open(streamUrl(base), sdkKey);
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
      const raw = store && (await store.get(storeKey));
      const p = raw && (JSON.parse(raw) as Persisted);
      // Service data may have arrived first; a cache of another key is ignored.
      if (p && p.k == keyId && rules.version < 0 && !closed) {
        heardAt = p.at;
        load(p, false);
      }
    } catch (e) {
      fail(e);
    }
  })();

  connect();

  const evaluate = <T extends JsonValue>(flag: string, context: EvaluationContext, defaultValue: T) =>
    rules.evaluate(flag, context, defaultValue, rules.version < 0 ? 0 : now() - heardAt) as EvaluationResult<Widen<T>>;
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
    ready: ({ timeoutMs = 5_000 } = {}) =>
      new Promise((resolve) => {
        const done = async () => {
          clearTimeout(timer);
          offReady();
          offHalt();
          await loaded;
          resolve(live ? "ready" : rules.version < 0 ? "defaults" : "cached");
        };
        const offReady = on("ready", done);
        const offHalt = on("x", done);
        const timer = setTimeout(() => {
          if (!live) emit("error", error(`no snapshot from the service within ${timeoutMs} ms`, lastError));
          done();
        }, timeoutMs);
        if (live || halted) done();
      }),
    isEnabled: value,
    getString: value,
    getNumber: value,
    getJson: value,
    evaluate,
    firstAvailable: (keys, context) => keys.find((k) => evaluate(k, context, false).value),
    on: on as KillswitchClient["on"],
    async close() {
      if (closed) return;
      closed = halted = true;
      clearTimeout(retryTimer);
      clearTimeout(staleTimer);
      teardown(true);
      aborter.abort();
      emit("x");
      await writing;
    },
  };
};
