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
import type { EvaluationContext, EvaluationResult, JsonValue } from "./model.js";
import { PING, PONG, PROTOCOL_VERSION, SUBPROTOCOL, type ClientMessage, type HttpSnapshot, type ServerMessage } from "./protocol.js";
import { Ruleset } from "./ruleset.js";
import { checkEnvelope } from "./wire.js";
import { need } from "./evaluator/need.js";
import { murmur3 } from "./evaluator/hash.js";
import { backoff } from "./client/backoff.js";
import { emitter } from "./client/emitter.js";
import type { Platform } from "./client/platform.js";
import type { SnapshotStorage } from "./client/storage.js";
import { streamUrl, type Socket, type WebSocketConstructor } from "./client/transport.js";
import { SDK_VERSION, type ClientOptions, type KillswitchClient, type Widen } from "./client/api.js";

export { SDK_VERSION } from "./client/api.js";
export type { ChangeEvent, ClientEvents, ClientOptions, KillswitchClient, ReadyStatus } from "./client/api.js";

/**
 * A frame, a poll's body or a cache line as received: text, or on Node a large frame's
 * UTF-8 bytes (see Platform `_parse`).
 */
type Data = string | Uint8Array;

/** What a frame, a poll's body or a cache line may be, as `open` reads it. */
type Opened = (ServerMessage | (HttpSnapshot & { t?: undefined })) & { tenant?: string; env?: string; key?: string; n?: number };

/** A compiled flag or segment, as far as the change event reads it. */
type Compiled = { _raw: { version?: unknown } | null };

// No `| undefined`: clearing an unset timer is a no-op everywhere, and Workers' types take `number | null` only.
type Timer = ReturnType<typeof setTimeout>;

const error = (message: string, cause?: unknown): Error => new Error(`killswitch: ${message}`, { cause });

const utf8 = (b: Uint8Array): string => new TextDecoder().decode(b);
const text = (d: Data): string => (typeof d == "string" ? d : utf8(d));
// base64url (padding optional) → bytes; atob throws on anything else.
const bytesOf = (s: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

// A cache written this far in the future is stale: another clock may be a little ahead, not more.
const SKEW_MS = 5_000;

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
  const { sdkKey, app = "unknown", staleAfterMs = 60_000, reconnectDelayMs = 3_000, pollTimeoutMs = 10_000, cache, publicKey } = options;
  const base = options.url.replace(/\/+$/, "");
  const instance = randomId();
  // Names the key in the cache without storing it (the evaluator's hash: no second one in the bundle).
  const keyId = murmur3(sdkKey).toString(36);
  const storeKey = `killswitch:${keyId}`;
  // A SnapshotStorage, else a file (Node entry only): `cache` is its path or `{ path }`.
  const store = cache ? ("get" in Object(cache) ? (cache as SnapshotStorage) : platform._file?.((cache as { path: string }).path ?? cache, instance)) : undefined;
  // Replaced whole by each snapshot, patched in place.
  let rules = new Ruleset({ staleAfterMs });
  const [on, emit] = emitter();
  const now = Date.now;
  // Resolves once service data is applied, or once the client stops (closed, key refused): ready() waits for it.
  let settle!: () => void;
  const settled = new Promise<void>((r) => (settle = r));

  let env: string | undefined;
  // The epoch of the applied state: versions only move forward within it.
  let epoch: string | undefined;
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
  // The poll in flight (one at a time): its timeout and close() abort it.
  let polling: AbortController | undefined;
  let lastError: unknown;
  let retryTimer: Timer;
  let pingTimer: ReturnType<typeof setInterval>;
  let staleTimer: Timer;
  let writing: Promise<void> | undefined;
  let dirty = false;
  // The keys frames must be signed by: those given, and the newest one a signed frame announced (generation `keyN`).
  const trusted = publicKey && ([] as string[]).concat(publicKey);
  let keyN = 0;
  const imported: Record<string, Promise<CryptoKey>> = {};
  // What the cache keeps, as received: the key announcements, then the last snapshot and the patches since.
  const announced: Data[] = [];
  let lines: Data[] = [];
  let patchBytes = 0;

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

  // Runs `steps` to their end, letting the host's loop run after every 20 ms of them: a
  // large snapshot is compiled, compared and persisted in slices, not in one block.
  const run = async (steps: Iterator<unknown>): Promise<void> => {
    for (let t = now(); !steps.next().done; ) {
      if (now() - t > 20) {
        await new Promise((r) => setTimeout(r));
        t = now();
      }
    }
  };

  // The flags that may evaluate differently in `b` than in `a`, one per step: their version
  // changed, or the version of a segment they name did, or they are gone.
  function* diff(a: Ruleset, b: Ruleset, out: string[]) {
    const v = (r: Ruleset, k: string) => (r._segments.get(k) as Compiled | undefined)?._raw?.version;
    for (const [k, f] of b._flags) {
      if ((a._flags.get(k) as Compiled | undefined)?._raw?.version !== (f as Compiled)._raw?.version || f._refs.some((s) => v(a, s) !== v(b, s))) out.push(k);
      yield;
    }
    for (const k of a._flags.keys()) yield b._flags.has(k) || out.push(k);
  }

  // Coalesces writes: one in flight, the latest state written after it. The cache is
  // lines: `{k, at}`, then each frame as received, so that its signatures verify again.
  const persist = (): void => {
    dirty = true;
    writing ||= (async () => {
      while (dirty) {
        dirty = false;
        try {
          await store!.set(storeKey, [JSON.stringify({ k: keyId, at: heardAt }), ...announced, ...lines].map(text).join("\n"));
        } catch (e) {
          fail(e);
        }
      }
      writing = undefined;
    })();
  };

  const resync = (): void => {
    if (!resyncing) send({ t: "resync" });
    resyncing = true;
  };

  // A large text is parsed by the platform where it can do so without blocking (Node: a worker thread).
  const parse = (data: Data): unknown => (data.length > 1e6 && platform._parse ? platform._parse(data) : JSON.parse(text(data)));

  // Every frame, poll body and cache line is opened here. With `publicKey`, a signed one is
  // verified over its exact bytes — the payload after `sig`, which opens the text — and
  // only those bytes are parsed: what is applied is what was signed. It must name this
  // key's tenant and the environment held; an unsigned one may only be a heartbeat, which
  // changes nothing. A signed frame carrying `key` announces the environment's new key.
  const open = async (data: Data): Promise<ServerMessage> => {
    let m: Opened;
    if (trusted) {
      let b = typeof data == "string" ? new TextEncoder().encode(data) : data;
      let ok: unknown;
      // Signed: `{["serverTime":…,]"sig":{…},<payload members>}`. The first `}` closes `sig`.
      if (b[2] == 115 /* s */) {
        const k = b.indexOf(125 /* } */);
        const sig = JSON.parse(`${utf8(b.subarray(0, k + 1))}}`).sig;
        (b = b.slice(k + 1))[0] = 123; // `,…}` → `{…}`: the payload as signed
        for (const key of trusted)
          ok ||= sig[key] && (await crypto.subtle.verify("Ed25519", await (imported[key] ||= crypto.subtle.importKey("raw", bytesOf(key), "Ed25519", false, ["verify"])), bytesOf(sig[key]), b as Uint8Array<ArrayBuffer>));
      }
      m = (await parse(ok ? b : data)) as Opened;
      need(ok ? m.tenant == sdkKey.slice(3, 13) && (!env || m.env == env) : m?.t == "hb" && !m.key, "sig");
      if (m.key && m.n! > keyN) {
        keyN = m.n!;
        trusted.push(m.key);
        announced.push(data);
        // Kept with the state (not while the cache itself is read): after the overlap, only the new key verifies.
        if (store && live) persist();
      }
    } else m = (await parse(data)) as Opened;
    // The HTTP snapshot (`version`, no `t`) as the snapshot message it carries.
    return (m && !m.t ? { ...m, t: "snapshot", v: m.version } : m) as unknown as ServerMessage;
  };

  // Every snapshot and patch — from the stream, a poll or the cache — is accepted here, and
  // only here: checked whole before anything changes, and refused (thrown) when it is not a
  // protocol-1 message or moves the version back within its epoch. The place for any further
  // check of a frame before it is applied. `service`: it comes from the service (acked, persisted).
  const accept = async (m: unknown, data: Data, service?: boolean): Promise<void> => {
    checkEnvelope(m);
    const v = m.v;
    const old = rules;
    // Read now: a patch moves the ruleset's version in place.
    const was = old.version;
    if (m.t == "hb") {
      // A heartbeat ahead of the client: it missed something.
      if (v > was && service) {
        resyncing = false;
        resync();
      }
      return;
    }
    // A snapshot of a later epoch (a restored or re-created environment; epochs sort by
    // time) starts the versions over; a patch must be of the epoch held.
    const e = m.epoch ?? "";
    const f = epoch ?? "";
    if (e != f ? m.t == "patch" || e < f : v < was) throw error(`${e}v${v} is older`);
    let changed: string[] = [];
    if (m.t == "patch") {
      // A duplicate is already applied; a gap needs the whole state.
      if (v == was) return;
      if (m.prev != was) return resync();
      changed = old.patch(m, v);
      // The cache replays the patches since the snapshot; once they outweigh it, a fresh snapshot replaces them.
      if (store) {
        lines.push(data);
        if ((patchBytes += data.length) > 0 && service) resync();
      }
    } else {
      const next = new Ruleset({ staleAfterMs });
      await run(next._load(m.flags, m.segments, v));
      await run(diff(old, next, changed));
      if (closed) return;
      rules = next;
      env = m.env;
      epoch = m.epoch;
      resyncing = false;
      lines = [data];
      // The patches' bytes since, less the snapshot's: above zero, they outweigh it.
      patchBytes = -data.length;
    }
    // Ack before listeners run: the service measures propagation by acks.
    if (service) {
      send({ t: "ack", v });
      // Only applied data shows the service is sound: the backoff starts over.
      attempt = 0;
    }
    let ping = 3e4;
    staleMs = Infinity;
    for (const limit of rules._limits.keys()) {
      staleMs = Math.min(staleMs, Math.abs(limit));
      if (limit < 0) ping = Math.min(ping, -limit);
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
    if (changed.length || v != was) emit("change", { flags: changed, version: v });
  };

  // Frames, polls and the cache are applied one after the other, in order, the cache first
  // (`queue` starts as `loaded`): a snapshot may take several turns of the loop to build.
  let queue: Promise<unknown>;
  const serially = (job: () => unknown, refused = fail): void => {
    queue = queue.then(job).catch(refused);
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
    if (polling) return;
    const ac = (polling = new AbortController());
    // Covers the answer and its body: a service that accepts and never answers must not hold the poll.
    const timer = setTimeout(() => ac.abort(error(`GET /v1/snapshot: no answer in ${pollTimeoutMs} ms`)), pollTimeoutMs);
    try {
      const headers: Record<string, string> = { authorization: `Bearer ${sdkKey}` };
      if (etag) headers["if-none-match"] = etag;
      const r = await (options.fetch ?? fetch)(`${base}/v1/snapshot`, { headers, signal: ac.signal });
      // A socket opened meanwhile is newer than this answer.
      if (halted || sockOpen) return;
      if (r.status == 401 || r.status == 403) return refused();
      if (r.status == 304) {
        // The service confirms the applied snapshot (its ETag) is current: as good as applying it again.
        attempt = 0;
        return heard();
      }
      if (!r.ok) throw error(`GET /v1/snapshot ${r.status}`);
      const text = await r.text();
      const tag = r.headers.get("etag") ?? undefined;
      serially(async () => {
        await accept(await open(text), text, true);
        // Only once applied: a refused answer must not be confirmed by the next poll's 304.
        etag = tag;
      });
    } catch (e) {
      if (!closed) fail(e);
    } finally {
      clearTimeout(timer);
      polling = undefined;
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
      send({ t: "hello", protocol: PROTOCOL_VERSION, sdk: `@killswitch/sdk@${SDK_VERSION}`, app, instance, since: live ? rules.version : undefined, epoch });
      // A pong at once tells a resumed client it is current, even when nothing was missed.
      send(PING);
    };
    s.onmessage = ({ data }) => {
      sockHeardAt = now();
      // Any frame counts as heard, a pong or one that is refused included.
      heard();
      if (data !== PONG)
        serially(
          async () => accept(await open(data as Data), data as Data, true),
          (e) => {
            fail(e);
            resync();
          },
        );
    };
    // This socket's own error is the cause of its close, and nothing older: errors never chain.
    let cause: unknown;
    s.onerror = (e) => {
      cause = e.error ?? e.message;
    };
    s.onclose = (e) => {
      if (e.code == 4001 /* CLOSE.UNAUTHORIZED */) refused();
      else lost(error(`stream closed (${e.code})`, cause));
    };
  };

  const loaded = (async () => {
    try {
      // Awaited first: the error below must reach listeners attached after createClient.
      const raw = await store?.get(storeKey);
      // A file path where no platform supplies files (a browser, Workers): say so.
      if (cache && !store) throw error("cache: a path needs Node");
      const [head, ...rest] = raw?.split("\n") ?? [];
      const p = head && JSON.parse(head);
      // A cache of another key is ignored.
      if (p?.k == keyId) {
        const at = p.at;
        // A cache of unknown age cannot be trusted to go stale on time.
        need(Number.isFinite(at), "at");
        // Written in the future (beyond a clock skew): as old as can be, so stale at once.
        heardAt = at > now() + SKEW_MS ? 0 : Math.min(at, now());
        // Line by line, each verified like a frame: a line refused stops the reading there, so
        // what is applied is a state the service signed (one an edit cannot make).
        for (const l of rest) await accept(await open(l), l);
      }
    } catch (e) {
      fail(e);
    }
  })();
  queue = loaded;

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
      polling?.abort();
      settle();
      await writing;
    },
  };
};
