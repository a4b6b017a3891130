/**
 * SDK sockets of one tenant, held by its Durable Object with the WebSocket
 * Hibernation API: an adapter of the core's session state machine
 * (src/core/stream/session.ts), which makes every protocol decision. The
 * machine's state is the socket's attachment, so the object may be evicted
 * from memory while its sockets stay open. What is the Worker's own:
 * - tags (by environment and by key id), so a broadcast is
 *   `getWebSockets(envTag)` and a revocation `getWebSockets(keyTag)`;
 * - `ping` answered by the runtime's auto-response without waking the object
 *   (the machine's silence check takes the runtime's timestamp); no periodic
 *   `hb`; the deadlines checked by the object's alarm, set for the earliest;
 * - one snapshot text per environment and version while awake;
 * - catch-up after a load from the change log (no frames are kept in memory).
 * https://developers.cloudflare.com/durable-objects/best-practices/websockets/
 *
 * While awake, the hub reads each session's state from memory (rebuilt from
 * the attachment on first use after a wake) and writes the attachment when
 * the machine asks (`persist`: hello, a state sent, an ack, a resync), not on
 * every broadcast, where reading and rewriting each socket's attachment cost a
 * few microseconds per socket and flip. A patch's `sentVersion` reaches the
 * attachment with the socket's next ack or, for a socket that has not acked,
 * one second later. That one-shot timer (like the others here, the sends after
 * a commit and the alarm, never periodic) keeps the object from hibernating
 * meanwhile (as the receipts' ledger's does), so a woken object never reads a state
 * behind what its sockets were sent.
 */
import { PING, PONG } from "@killswitch/sdk/protocol.js";
import type { Broadcaster, CommittedChange, EnvReset, StreamSource } from "../core/broadcaster.js";
import { MAX_CLIENT_FRAME_BYTES, parseClientFrame } from "../core/stream/client-frame.js";
import { admitConnection, idleDeadline, streamLimits, type StreamLimits } from "../core/stream/limits.js";
import { connectedAtCommit, openSession, readPlan, step, type LoadRequest, type Loaded, type SessionInput, type SessionState } from "../core/stream/session.js";
import { snapshotFrame, type SnapshotText } from "../core/stream/snapshot-text.js";
import { unsignedFrames, type StreamFrames } from "../core/stream/stream-frames.js";
import { selectSubprotocol } from "../http/credentials.js";
import type { Telemetry } from "../core/telemetry.js";
import { AlarmClock } from "./alarm-clock.js";

/**
 * What the object remembers of one connection across hibernation: the
 * session's state. Serialized with `serializeAttachment`, capped by the
 * platform at 2,048 bytes: the hello's strings are bounded in
 * src/core/stream/client-frame.ts (under ~1.2 KB here, even with two-byte strings).
 */
export type ConnectionAttachment = SessionState;

/** Who opens the stream: the sdk key's environment and id, as the app authenticated them. */
export interface StreamPrincipal {
  env: string;
  keyId: string;
}

export interface HibernatingHubOptions {
  tenantId: string;
  source: StreamSource;
  /**
   * Builds every snapshot and patch frame, once for all sockets: the object passes the
   * core's `FrameSigner`, so that SDKs can verify them. Default: unsigned frames.
   */
  frames?: StreamFrames;
  /**
   * A change was sent to the environment's sockets; `connected` counts those
   * connected at its commit (the core's `connectedAtCommit`).
   */
  onPublished?: (change: CommittedChange, connected: number) => void;
  /** An ack was recorded: `connection` is the updated attachment, `previous` its applied version before. */
  onAck?: (connection: Readonly<ConnectionAttachment>, previous: number | null, at: number) => void;
  /** A snapshot or change-log read that failed; the session closes the socket (`loadFailed`). */
  onError?: (error: unknown) => void;
  /** Deadlines, the `resync` allowance and streams per key; defaults for what is left out. */
  limits?: Partial<StreamLimits>;
  /** The object's alarm, shared with its other parts (alarm-clock.ts); default one of the hub's own. */
  alarm?: AlarmClock;
  now?: () => number;
  /** Told each connection's hello and close (the debug log lines). */
  telemetry?: Telemetry;
}

/** How long after a broadcast the hub writes `sentVersion` to the attachments of sockets that have not acked it. */
const SENT_FLUSH_DELAY_MS = 1_000;
/** The platform's cap on a tag's length; environment keys are at most 128 characters. */
const MAX_TAG_LENGTH = 256;
/** RFC 6455 §5.5: a close frame's reason fits in 123 bytes. */
const MAX_REASON_BYTES = 120;
/** The alarm fires this long after the earliest deadline, so that sockets due together are closed in one wake. */
const ALARM_SLACK_MS = 1_000;

export class HibernatingHub implements Broadcaster {
  readonly #ctx: DurableObjectState;
  readonly #options: HibernatingHubOptions;
  readonly #now: () => number;
  readonly #limits: StreamLimits;
  readonly #frames: StreamFrames;
  /** Open sockets per key id while awake; counted from the key's tag on first use after a wake. */
  readonly #perKey = new Map<string, number>();
  readonly #snapshots = new Map<string, SnapshotText>();
  /** Bumped by every publish: a snapshot read begun before one is not kept. */
  #generation = 0;
  /**
   * The newest version published per environment while awake: a socket's first state
   * read before it and sent after it counts from it (the session's `firstVersion`),
   * as the receipt's `connected`, counted at publish, left that socket out. A load
   * never spans a hibernation, so memory is enough.
   */
  readonly #published = new Map<string, number>();
  readonly #alarm: AlarmClock;
  /** The hub's own alarm (no shared clock): a sweep marks it fired. */
  readonly #ownsAlarm: boolean;
  /** Each socket's state while the object is awake (the runtime hands the same WebSocket object for its whole life). */
  readonly #live = new WeakMap<WebSocket, SessionState>();
  /** Sockets sent a patch whose attachment still holds an older `sentVersion`. */
  readonly #unsaved = new Set<WebSocket>();
  #flushScheduled = false;

  constructor(ctx: DurableObjectState, options: HibernatingHubOptions) {
    this.#ctx = ctx;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#limits = streamLimits(options.limits);
    this.#alarm = options.alarm ?? new AlarmClock(ctx.storage);
    this.#ownsAlarm = options.alarm === undefined;
    this.#frames = options.frames ?? unsignedFrames;
  }

  /**
   * Sets `ping` → `pong` as the runtime's auto-response. Call it in the
   * object's constructor: it is not persisted, and the object is rebuilt on
   * every wake. The hub itself never answers `ping` (the machine would close
   * the socket as "not JSON"), so a `pong` proves the auto-response is in place.
   */
  static enableAutoPong(ctx: DurableObjectState): void {
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
  }

  /** Upgrades an authenticated `GET /v1/stream` request to a hibernatable socket. */
  async accept(request: Request, principal: StreamPrincipal): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("Expected a WebSocket upgrade.", { status: 426, headers: { upgrade: "websocket" } });
    }
    const tags = [envTag(principal.env), keyTag(principal.keyId)];
    if (tags.some((tag) => tag.length > MAX_TAG_LENGTH)) throw new RangeError("Stream tag over the platform limit.");
    const { 0: client, 1: server } = new WebSocketPair();
    const selected = selectSubprotocol(request.headers.get("sec-websocket-protocol")?.split(",").map((p) => p.trim()) ?? []);
    const headers = selected === null ? undefined : { "sec-websocket-protocol": selected };
    const open = this.#openFor(principal.keyId);
    const refused = admitConnection(open, this.#limits);
    if (refused) {
      // Upgraded only to say why (a browser sees a refused upgrade as a bare 1006): no tags, no
      // attachment, so that nothing counts it or delivers to it.
      this.#ctx.acceptWebSocket(server);
      shut(server, refused.code, refused.reason);
      return new Response(null, { status: 101, webSocket: client, headers });
    }
    this.#ctx.acceptWebSocket(server, tags);
    this.#perKey.set(principal.keyId, open + 1);
    const now = this.#now();
    this.#save(server, openSession(principal.env, principal.keyId, now, this.#limits));
    await this.#alarmBy(now + this.#limits.helloTimeoutMs + ALARM_SLACK_MS);
    return new Response(null, { status: 101, webSocket: client, headers });
  }

  /** Open sockets of a key: the count kept while awake, checked against the runtime's list at the limit. */
  #openFor(keyId: string): number {
    const known = this.#perKey.get(keyId);
    if (known !== undefined && known < this.#limits.maxConnectionsPerKey) return known;
    // After a wake, or at the limit: count what is really open (a close the hub missed must not lock a key out).
    let open = 0;
    for (const ws of this.#ctx.getWebSockets(keyTag(keyId))) if (ws.readyState === WebSocket.READY_STATE_OPEN) open++;
    this.#perKey.set(keyId, open);
    return open;
  }

  /**
   * The object's `alarm` (after `AlarmClock.fired`): a tick of every session (closing those past their
   * hello or silence deadline) and the alarm set for the next deadline.
   */
  async sweep(): Promise<void> {
    if (this.#ownsAlarm) this.#alarm.fired();
    const now = this.#now();
    let next = Infinity;
    for (const ws of this.#ctx.getWebSockets()) {
      const state = this.#stateOf(ws);
      if (state === null || ws.readyState !== WebSocket.READY_STATE_OPEN) continue;
      const pingedAt = this.#ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime();
      const after = this.#apply(ws, state, { t: "tick", at: now, ...(pingedAt === undefined ? {} : { pingedAt }) });
      if (after.phase !== "closed") {
        const heardAt = Math.max(after.heardAt, pingedAt ?? -Infinity);
        next = Math.min(next, idleDeadline({ connectedAt: after.connectedAt, helloed: after.instance !== null, heardAt }, this.#limits));
      }
    }
    if (next !== Infinity) await this.#alarmBy(Math.max(next, now) + ALARM_SLACK_MS);
  }

  /** Makes sure the alarm fires at `at` or before. */
  #alarmBy(at: number): Promise<void> {
    return this.#alarm.wakeBy(at);
  }

  publish(change: CommittedChange): void {
    this.#generation++;
    this.#snapshots.delete(change.env);
    this.#published.set(change.env, change.version);
    let connected = 0;
    for (const ws of this.#ctx.getWebSockets(envTag(change.env))) {
      const state = this.#stateOf(ws);
      if (state !== null && connectedAtCommit(state, change.version)) connected++;
    }
    this.#options.onPublished?.(change, connected);
    // The sends run after the request that committed the change has been answered
    // (a timer, not a microtask: those would run before the answer leaves). Frames
    // resolve in publish order and timers of one delay fire in order, so patches go
    // out in version order; the pending timer keeps the object awake until they have.
    void this.#frames.patch(change).then((frame) => {
      // Serialized and signed once for every socket.
      setTimeout(() => this.#deliver(change.env, change.version, frame), 0);
    });
  }

  /**
   * The environment's signing keys changed (`key`): cached snapshots are dropped and
   * each socket gets the new key's announcement. Or its epoch did (`epoch`: a restore,
   * whose versions may be lower than what sockets hold): every socket is sent the new
   * snapshot, whatever it was sent before.
   */
  resetEnvironment(_tenantId: string, env: string, cause: EnvReset): void {
    this.#generation++;
    this.#snapshots.delete(env);
    if (cause === "epoch") this.#published.delete(env); // a new epoch's versions may be lower
    for (const ws of this.#ctx.getWebSockets(envTag(env))) {
      const state = this.#stateOf(ws);
      if (state !== null) this.#apply(ws, state, { t: "reset", cause });
    }
  }

  /** During a signing key's overlap, the new key's announcement. */
  async #announce(ws: WebSocket, env: string): Promise<void> {
    const announcement = await this.#frames.announcement(this.#options.tenantId, env).catch(() => null);
    if (announcement) trySend(ws, snapshotFrame(announcement, this.#now()));
  }

  #deliver(env: string, version: number, frame: string): void {
    for (const ws of this.#ctx.getWebSockets(envTag(env))) {
      const state = this.#stateOf(ws);
      if (state === null) continue;
      const next = step(state, { t: "published", version }, this.#limits);
      // The machine answers one `sendShared` or nothing; the state is written later (see the file's comment).
      if (next.effects.length === 0 || !trySend(ws, frame)) continue;
      this.#live.set(ws, next.state);
      this.#unsaved.add(ws);
    }
    if (this.#unsaved.size > 0) this.#scheduleFlush();
  }

  /** Writes `sentVersion` to the attachments of sockets sent a patch and not heard from since. */
  #flush(): void {
    this.#flushScheduled = false;
    for (const ws of this.#unsaved) {
      const state = this.#live.get(ws);
      try {
        if (state !== undefined) ws.serializeAttachment(state);
      } catch {
        // Closed meanwhile: its attachment died with it.
      }
    }
    this.#unsaved.clear();
  }

  keyRevoked(_tenantId: string, keyId: string): void {
    for (const ws of this.#ctx.getWebSockets(keyTag(keyId))) {
      const state = this.#stateOf(ws);
      if (state !== null) this.#apply(ws, state, { t: "keyRevoked" });
    }
  }

  /** Every open connection of an environment that has had its first state, in order of connection. */
  connections(env: string): Readonly<ConnectionAttachment>[] {
    const out: ConnectionAttachment[] = [];
    for (const ws of this.#ctx.getWebSockets(envTag(env))) {
      const state = this.#stateOf(ws);
      if (state !== null && state.phase !== "closed" && state.firstVersion !== null) out.push(state);
    }
    return out;
  }

  /** Open stream sockets per environment, read from their tags (no attachment is deserialized). */
  connectionsByEnv(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const ws of this.#ctx.getWebSockets()) {
      if (ws.readyState !== WebSocket.READY_STATE_OPEN) continue;
      const tag = this.#ctx.getTags(ws).find((t) => t.startsWith(ENV_TAG));
      if (tag !== undefined) counts.set(tag.slice(ENV_TAG.length), (counts.get(tag.slice(ENV_TAG.length)) ?? 0) + 1);
    }
    return counts;
  }

  /** Every open connection that has had its first state, by environment: what the receipts count. */
  receiptConnections(): Map<string, Readonly<ConnectionAttachment>[]> {
    const byEnv = new Map<string, ConnectionAttachment[]>();
    for (const ws of this.#ctx.getWebSockets()) {
      const state = this.#stateOf(ws);
      if (state?.firstVersion == null || state.phase === "closed" || ws.readyState !== WebSocket.READY_STATE_OPEN) continue;
      const list = byEnv.get(state.env);
      if (list === undefined) byEnv.set(state.env, [state]);
      else list.push(state);
    }
    return byEnv;
  }

  /** The object's `webSocketMessage`. */
  async message(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const state = this.#stateOf(ws);
    if (state === null) return; // not a stream socket
    if (ws.readyState !== WebSocket.READY_STATE_OPEN) return; // closed by the hub: what it still sent is not read
    const at = this.#now();
    const input: SessionInput =
      typeof data !== "string"
        ? { t: "refused", why: "binary", at }
        : data.length > MAX_CLIENT_FRAME_BYTES
          ? { t: "refused", why: "too big", at }
          : { t: "frame", frame: parseClientFrame(data), at };
    // Every frame the machine keeps (hello, ack, resync) it asks to persist, with its `heardAt`.
    const work: Promise<void>[] = [];
    const after = this.#apply(ws, state, input, work);
    if (state.phase === "open" && after.phase === "loading") this.#options.telemetry?.sdkConnected(this.#connectionEvent(after, after.instance!, after.app!, after.sdk!));
    await Promise.all(work); // `message` resolves once its answer is sent
  }

  /** The object's `webSocketClose`: complete the closing handshake. */
  closed(ws: WebSocket, code: number, reason: string): void {
    this.#unsaved.delete(ws);
    const state = this.#stateOf(ws);
    if (state?.instance != null) this.#options.telemetry?.sdkDisconnected({ ...this.#connectionEvent(state, state.instance, state.app ?? undefined, state.sdk ?? undefined), code });
    if (state !== null) {
      this.#live.set(ws, step(state, { t: "gone" }, this.#limits).state);
      const open = this.#perKey.get(state.keyId);
      if (open !== undefined) this.#perKey.set(state.keyId, Math.max(0, open - 1));
    }
    // 1005 and 1006 describe a close without a code and cannot be sent.
    shut(ws, code === 1005 || code === 1006 ? 1000 : code, reason);
  }

  #connectionEvent(state: SessionState, instance: string, app: string | undefined, sdk: string | undefined) {
    return { tenantId: this.#options.tenantId, env: state.env, keyId: state.keyId, instance, app, sdk };
  }

  /**
   * Steps the socket's session and carries out the effects; answers the new state. The
   * reads it starts (and the effects those step in turn) are added to `work`.
   */
  #apply(ws: WebSocket, state: SessionState, input: SessionInput, work: Promise<void>[] = []): SessionState {
    const { state: next, effects } = step(state, input, this.#limits);
    this.#live.set(ws, next);
    for (const effect of effects) {
      switch (effect.t) {
        case "send":
        case "sendFrame":
          trySend(ws, effect.frame);
          break;
        case "sendShared":
          break; // only from `published`, which #deliver steps itself
        case "persist":
          this.#save(ws, next);
          break;
        case "close":
          this.#unsaved.delete(ws);
          shut(ws, effect.code, effect.reason);
          break;
        case "load":
          work.push(this.#load(ws, effect));
          break;
        case "announce":
          work.push(this.#announce(ws, next.env));
          break;
        case "catchUp":
          work.push(this.#catchUp(ws, effect.from));
          break;
        case "receipt":
          if (effect.event.kind === "acked") this.#options.onAck?.(next, effect.event.previous, effect.event.at);
          break; // "connected" is counted at each publish from the state (connectedAtCommit)
      }
    }
    return next;
  }

  /** The state a `load` asked for: "current", the missed changes as one patch, or a snapshot. */
  async #load(ws: WebSocket, load: LoadRequest): Promise<void> {
    const state = this.#live.get(ws);
    if (state === undefined) return;
    let loaded: Loaded;
    try {
      loaded = await this.#read(state.env, load);
    } catch (error) {
      this.#options.onError?.(error);
      const now = this.#live.get(ws);
      if (now !== undefined) this.#apply(ws, now, { t: "loadFailed" });
      return;
    }
    const now = this.#live.get(ws);
    const work: Promise<void>[] = [];
    if (now !== undefined) this.#apply(ws, now, { t: "loaded", loaded, at: this.#now(), newest: this.#published.get(now.env) ?? null }, work);
    await Promise.all(work);
  }

  async #read(env: string, load: LoadRequest): Promise<Loaded> {
    const current = await this.#snapshotOf(env);
    const plan = readPlan(load, current);
    if (plan === "current") return { kind: "current", version: current.version };
    if (plan === "changes") {
      const patch = await this.#resume(env, load.since!);
      if (patch && patch.version === current.version) return { kind: "patch", prev: load.since!, version: patch.version, frame: patch.text };
    }
    return { kind: "snapshot", snapshot: current, ...(load.replace ? { replace: true } : {}) };
  }

  /** The changes after `since`, from the change log, as one patch framed by the hub's frames; null when they do not make one. */
  async #resume(env: string, since: number) {
    const { tenantId, source } = this.#options;
    return this.#frames.resume(tenantId, env, since, await source.changesSince(tenantId, env, since));
  }

  /**
   * Changes published while the socket was loading passed it by: send what the
   * change log holds after `from`, as one patch; a gap it cannot fill is the
   * client's to resync (the next patch's `prev` will not match).
   */
  async #catchUp(ws: WebSocket, from: number): Promise<void> {
    const state = this.#live.get(ws);
    if (state === undefined || state.phase !== "live") return;
    const current = await this.#snapshotOf(state.env).catch(() => null);
    if (current === null || current.version <= from) return;
    const patch = await this.#resume(state.env, from).catch(() => null);
    const now = this.#live.get(ws);
    if (!patch || now === undefined || now.sentVersion !== from) return;
    this.#apply(ws, now, { t: "loaded", loaded: { kind: "patch", prev: from, version: patch.version, frame: patch.text }, at: this.#now() });
  }

  /**
   * The environment's current snapshot, read and serialized once and kept
   * while the object is awake, until the next change of that environment
   * (every change is published here): the allowed resyncs and a burst of
   * hellos cost one read, not one each.
   */
  async #snapshotOf(env: string): Promise<SnapshotText> {
    const known = this.#snapshots.get(env);
    if (known !== undefined) return known;
    const generation = this.#generation;
    const { tenantId, source } = this.#options;
    const text = await this.#frames.snapshot(tenantId, env, await source.snapshot(tenantId, env));
    if (generation === this.#generation) this.#snapshots.set(env, text); // no change published meanwhile
    return text;
  }

  /** The socket's state: from memory, or from its attachment on first use after a wake; null for a foreign socket. */
  #stateOf(ws: WebSocket): SessionState | null {
    const known = this.#live.get(ws);
    if (known !== undefined) return known;
    const attachment = (ws.deserializeAttachment() as SessionState | null) ?? null;
    if (attachment !== null) this.#live.set(ws, attachment);
    return attachment;
  }

  /** Makes `state` the socket's state in memory and in its attachment. */
  #save(ws: WebSocket, state: SessionState): void {
    try {
      ws.serializeAttachment(state);
    } catch {
      // Closed meanwhile: its attachment died with it.
    }
    this.#live.set(ws, state);
    this.#unsaved.delete(ws);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setTimeout(() => this.#flush(), SENT_FLUSH_DELAY_MS);
  }
}

const ENV_TAG = "env:";
const envTag = (env: string) => `${ENV_TAG}${env}`;
const keyTag = (keyId: string) => `key:${keyId}`;

/** A socket that closed under us must not stop the others. */
function trySend(ws: WebSocket, frame: string): boolean {
  try {
    ws.send(frame);
    return true;
  } catch {
    return false; // closed or closing: its webSocketClose follows
  }
}

function shut(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, truncate(reason));
  } catch {
    // Already closed.
  }
}

function truncate(reason: string): string {
  const encoder = new TextEncoder();
  let out = reason;
  while (encoder.encode(out).byteLength > MAX_REASON_BYTES) out = out.slice(0, -1);
  return out;
}
