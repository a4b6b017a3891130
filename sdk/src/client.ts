/**
 * The Killswitch client: holds the flags of one environment in memory, keeps
 * them current over a WebSocket (protocol 1), and evaluates synchronously.
 *
 * The connection and freshness lifecycle (connecting, open, stale, cached, backoff,
 * resync, closed) is a pure state machine, client/lifecycle.ts: this closure is its
 * adapter. It feeds the machine events (`go`) and runs the effects it answers
 * (sockets, timers, polls, events); it decides nothing about the lifecycle itself.
 * What stays here is the data: opening and verifying frames, and accepting them
 * (`accept`: whole, forward-only versions within an epoch), the cache's lines.
 *
 * Shaped for size (sdk/build.mjs, BUDGET_BYTES): one closure instead of a class, so
 * every piece of state is a local the minifier renames; numeric enums (inlined) and
 * one-letter effects in the machine; short error messages; helpers shared with the
 * evaluator (murmur3); no dependency.
 *
 * Evaluation (`isEnabled` and the other getters) is the hot path: while the
 * client is fresh it reads no clock (the lifecycle's `_watch`).
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
import { Effect, Event, Link, lifecycle, live, status, step, type Effects } from "./client/lifecycle.js";
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
  // The lifecycle's state: replaced by each event (`go`).
  let state = lifecycle(staleAfterMs);
  let sock: Socket | undefined;
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
          const all = [JSON.stringify({ k: keyId, at: state._heard }), ...announced, ...lines];
          // The platform's file (a store that is not the `cache` given: Platform `_file`) takes the
          // lines as they are, so that a 50 MB frame is not decoded and joined on the loop.
          await (store as SnapshotStorage).set(storeKey, store == cache ? all.map(text).join("\n") : (all as never));
        } catch (e) {
          fail(e);
        }
      }
      writing = undefined;
    })();
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
        if (store && live(state)) persist();
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
      if (v > was && service) go(Event.Behind);
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
      if (m.prev != was) return void go(Event.Resync);
      changed = old.patch(m, v);
      // The cache replays the patches since the snapshot; once they outweigh it, a fresh snapshot replaces them.
      if (store) {
        lines.push(data);
        if ((patchBytes += data.length) > 0 && service) go(Event.Resync);
      }
    } else {
      const next = new Ruleset({ staleAfterMs });
      await run(next._load(m.flags, m.segments, v));
      await run(diff(old, next, changed));
      if (state._link == Link.Closed) return;
      rules = next;
      env = m.env;
      epoch = m.epoch;
      lines = [data];
      // The patches' bytes since, less the snapshot's: above zero, they outweigh it.
      patchBytes = -data.length;
    }
    // Ack before listeners run: the service measures propagation by acks.
    if (service) send({ t: "ack", v });
    go(service ? (m.t == "patch" ? Event.Patch : Event.Snapshot) : Event.Cached, rules._limits.keys());
    if (service && store) persist();
    if (changed.length || v != was) emit("change", { flags: changed, version: v });
  };

  // Frames, polls and the cache are applied one after the other, in order, the cache first
  // (`queue` starts as `loaded`): a snapshot may take several turns of the loop to build.
  let queue: Promise<unknown>;
  const serially = (job: () => unknown, refused = fail): void => {
    queue = queue.then(job).catch(refused);
  };

  const poll = async (): Promise<void> => {
    if (polling) return;
    const ac = (polling = new AbortController());
    // Covers the answer and its body: a service that accepts and never answers must not hold the poll.
    const timer = setTimeout(() => ac.abort(error(`GET /v1/snapshot: no snapshot in ${pollTimeoutMs} ms`)), pollTimeoutMs);
    try {
      const headers: Record<string, string> = { authorization: `Bearer ${sdkKey}` };
      if (etag) headers["if-none-match"] = etag;
      const r = await (options.fetch ?? fetch)(`${base}/v1/snapshot`, { headers, signal: ac.signal });
      if (go(Event.Answer, r.status) == Effect.Read) {
        if (!r.ok) throw error(`GET /v1/snapshot ${r.status}`);
        const text = await r.text();
        const tag = r.headers.get("etag") ?? undefined;
        serially(async () => {
          await accept(await open(text), text, true);
          // Only once applied: a refused answer must not be confirmed by the next poll's 304.
          etag = tag;
        });
      }
    } catch (e) {
      if (state._link != Link.Closed) fail(e);
    } finally {
      clearTimeout(timer);
      polling = undefined;
    }
  };

  // Where a WebSocket constructor exists, headers cannot be set: the key travels as the second
  // offered subprotocol (the server selects the first; the key is never in the URL). Without
  // one (Node 20) the platform opens the socket; a core without it falls back to polling.
  // Always awaited, so that a failure reaches listeners attached after createClient. A socket
  // that cannot be made (no factory, a bad URL) throws out of `dial`'s "socket" effect to here.
  const connect = async (): Promise<void> => {
    try {
      const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
      go(Event.Dial, await (WS ? (u: string, k: string) => new WS(u, [SUBPROTOCOL, k]) as Socket : platform._socket?.()));
    } catch (e) {
      go(Event.Lost, error("cannot open a WebSocket", e));
    }
  };

  // What each effect of the lifecycle does; `arg` is the event's.
  const effects: Record<Effect, (arg?: any) => unknown> = {
    [Effect.Pings]: () => {
      clearInterval(pingTimer);
      pingTimer = setInterval(() => go(Event.Beat), state._pingMs);
    },
    [Effect.Socket]: (make: (url: string, key: string) => Socket) => {
      const s = (sock = make(streamUrl(base), sdkKey));
      s.onopen = () => go(Event.Open);
      s.onmessage = ({ data }) => {
        // Any frame counts as heard, a pong or one that is refused included.
        go(Event.Frame);
        if (data !== PONG)
          serially(
            async () => accept(await open(data as Data), data as Data, true),
            (e) => {
              fail(e);
              go(Event.Resync);
            },
          );
      };
      // This socket's own error is the cause of its close, and nothing older: errors never chain.
      let cause: unknown;
      s.onerror = (e) => {
        cause = e.error ?? e.message;
      };
      s.onclose = (e) => (e.code == 4001 /* CLOSE.UNAUTHORIZED */ ? go(Event.Refused) : go(Event.Lost, error(`stream closed (${e.code})`, cause)));
    },
    // `since` only for data received in this process: the service then sends only what was missed.
    // A pong at once tells a resumed client it is current, even when nothing was missed.
    [Effect.Hello]: () => {
      send({ t: "hello", protocol: PROTOCOL_VERSION, sdk: `@killswitch/sdk@${SDK_VERSION}`, app, instance, since: live(state) ? rules.version : undefined, epoch });
      send(PING);
    },
    [Effect.Ping]: () => send(PING),
    [Effect.Resync]: () => send({ t: "resync" }),
    // Detach first: a closing socket's late events must not touch the next one.
    [Effect.Drop]: () => {
      clearTimeout(retryTimer);
      clearInterval(pingTimer);
      const s = sock;
      sock = undefined;
      if (!s) return;
      s.onopen = s.onmessage = s.onclose = null;
      s.onerror = () => {}; // `ws` throws on an error event nobody listens to
      if (state._link == Link.Closed && s.readyState == 1) s.close(1000);
      else if (s.terminate) s.terminate();
      else s.close();
    },
    [Effect.Fail]: fail,
    [Effect.Silent]: () => fail(error(`no frame for ${3 * state._pingMs} ms`)),
    [Effect.Refused]: () => fail(error("sdk key refused")),
    [Effect.Poll]: poll,
    [Effect.Retry]: () => (retryTimer = setTimeout(connect, backoff(state._attempt, reconnectDelayMs))),
    [Effect.Ready]: () => emit("ready"),
    [Effect.Stale]: () => emit("stale"),
    [Effect.Timer]: () => {
      clearTimeout(staleTimer);
      // The timer must not keep a Node (or Bun) process alive; elsewhere timers are numbers.
      if (state._due) (staleTimer = setTimeout(() => go(Event.Tick), state._due) as { unref?(): void } & Timer).unref?.();
    },
    [Effect.Read]: () => {},
    [Effect.Abort]: () => polling?.abort(),
    [Effect.Settle]: () => settle(),
  };

  // Feeds the lifecycle one event, then runs its effects in order; answers them.
  function go(event: Event, arg?: unknown): Effects {
    const [next, fx] = step(state, event, now(), arg);
    state = next;
    for (const f of fx) effects[f as Effect](arg);
    return fx;
  }

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
        // A cache of unknown age cannot be trusted to go stale on time.
        need(Number.isFinite(p.at), "at");
        go(Event.Stamp, p.at);
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

  // The hot path: no clock read unless the client may be stale (the lifecycle's `_watch`).
  const evaluate = <T extends JsonValue>(flag: string, context: EvaluationContext, defaultValue: T) =>
    rules.evaluate(flag, context, defaultValue, state._watch ? now() - state._heard : 0) as EvaluationResult<Widen<T>>;
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
      if (late && !live(state)) emit("error", error(`no snapshot in ${timeoutMs} ms`, lastError));
      await loaded;
      return status(state);
    },
    isEnabled: value,
    getString: value,
    getNumber: value,
    getJson: value,
    evaluate,
    firstAvailable: (keys, context) => keys.find((k) => evaluate(k, context, false).value),
    on: on as KillswitchClient["on"],
    async close() {
      go(Event.Close);
      await writing;
    },
  };
};
