/**
 * SDK sockets of one tenant, held by its Durable Object with the WebSocket
 * Hibernation API: the object may be evicted from memory while its sockets
 * stay open, so everything a connection needs survives in its attachment.
 * `ping` is answered by the runtime's auto-response without waking the
 * object; the object sends no periodic `hb`.
 * https://developers.cloudflare.com/durable-objects/best-practices/websockets/
 *
 * Delivery follows the Node hub (src/node/stream/stream-hub.ts): a hello
 * gets nothing but an `hb` when it is current, the missed changes as one
 * patch when the change log holds them, else a snapshot; a socket receives a
 * broadcast patch only once it has its first state and only if it is behind.
 *
 * While awake, the hub reads each connection's state from memory (rebuilt
 * from the attachment on first use after a wake) and writes the attachment
 * when a hello, a snapshot or an ack changes it, not on every broadcast,
 * where reading and rewriting each socket's attachment cost a few
 * microseconds per socket and flip. A patch's `sentVersion` reaches the
 * attachment with the socket's next ack or, for a socket that has not
 * acked, one second later. That one-shot timer (like the others here, the
 * sends after a commit and the alarm, never periodic) keeps the
 * object from hibernating meanwhile (as the receipt book's does), so a woken
 * object never reads a state behind what its sockets were sent: an ack of
 * any patch they got stays valid across hibernation.
 *
 * Limits (src/core/stream/limits.ts, the same as on Node): `resync` within
 * an allowance, `hello` within 10 s, something heard at least every 30 s,
 * and at most so many open streams per key. A `ping` never reaches the
 * object, so what was heard last is the later of the attachment's `heardAt`
 * (written with every frame) and the runtime's auto-response timestamp; the
 * deadlines are checked by the object's alarm, set for the earliest one, so
 * a pinging socket costs one wake per silence period at most, not one per
 * ping.
 */
import { CLOSE, PING, PONG, SUBPROTOCOL } from "@killswitch/sdk/protocol.js";
import { AlarmClock } from "./alarm-clock.js";
import type { HeartbeatMessage, ServerMessage } from "@killswitch/sdk/protocol.js";
import type { Broadcaster, CommittedChange, StreamSource } from "../core/broadcaster.js";
import type { PendingInstance } from "../core/propagation.js";
import { selectSubprotocol } from "../http/credentials.js";
import type { Telemetry } from "../core/telemetry.js";
import { mergeChanges, patchOf } from "../core/stream/merge-changes.js";
import { snapshotFrame, snapshotText, type SnapshotText } from "../core/stream/snapshot-text.js";
import { MAX_CLIENT_FRAME_BYTES, parseClientFrame, type Hello } from "../core/stream/client-frame.js";
import {
  admitConnection,
  idleClose,
  idleDeadline,
  streamLimits,
  takeResync,
  type ResyncBucket,
  type StreamLimits,
} from "../core/stream/limits.js";

/**
 * What the object remembers of one connection across hibernation. Serialized
 * with `serializeAttachment`, capped by the platform at 2,048 bytes: the
 * hello's strings are bounded in src/core/stream/client-frame.ts (under ~1.2 KB here, even
 * with two-byte strings).
 */
export interface ConnectionAttachment extends ResyncBucket {
  env: string;
  keyId: string;
  /** From the client's hello; null until then. */
  instance: string | null;
  app: string | null;
  sdk: string | null;
  /** The version whose state the client was last sent; null until its first snapshot, patch or hb. */
  sentVersion: number | null;
  /**
   * The version of the first state the client was sent after its hello: it was
   * connected when every later version was committed (receipts count it there).
   */
  firstVersion: number | null;
  /** The highest version the client acknowledged. */
  appliedVersion: number | null;
  connectedAt: number;
  lastAckAt: number | null;
  /** The last frame received; a `ping` answered by the runtime is not in it (see the file's comment). */
  heardAt: number;
}


/** Who opens the stream: the sdk key's environment and id, as the app authenticated them. */
export interface StreamPrincipal {
  env: string;
  keyId: string;
}

export interface HibernatingHubOptions {
  tenantId: string;
  source: StreamSource;
  /**
   * A change was sent to the environment's sockets; `connected` counts those
   * that had their first state before it (the receipt's "connected at commit").
   */
  onPublished?: (change: CommittedChange, connected: number) => void;
  /** An ack was recorded: `connection` is the updated attachment, `previous` its applied version before. */
  onAck?: (connection: Readonly<ConnectionAttachment>, previous: number | null, at: number) => void;
  /** A snapshot or change-log read that failed; the socket is closed with 1011. */
  onError?: (error: unknown) => void;
  /** Deadlines, the `resync` allowance and streams per key; defaults for what is left out. */
  limits?: Partial<StreamLimits>;
  /** The object's alarm, shared with its other parts (alarm-clock.ts); default one of the hub's own. */
  alarm?: AlarmClock;
  now?: () => number;
  /** Told each connection's hello and close (the debug log lines). */
  telemetry?: Telemetry;
}

/**
 * How long after a broadcast the hub writes `sentVersion` to the attachments
 * of sockets that have not acked it (an ack writes it first): long enough for
 * the acks of a flip, short enough to delay hibernation by no more than the
 * receipt book's own flush.
 */
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
  /** Open sockets per key id while awake; counted from the key's tag on first use after a wake. */
  readonly #perKey = new Map<string, number>();
  readonly #snapshots = new Map<string, SnapshotText>();
  /** Bumped by every publish: a snapshot read begun before one is not kept. */
  #generation = 0;
  readonly #alarm: AlarmClock;
  /** The hub's own alarm (no shared clock): a sweep marks it fired. */
  readonly #ownsAlarm: boolean;
  /**
   * Each socket's state while the object is awake; the runtime hands the same
   * WebSocket object to getWebSockets and webSocketMessage for its whole life.
   */
  readonly #live = new WeakMap<WebSocket, ConnectionAttachment>();
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
  }

  /**
   * Sets `ping` → `pong` as the runtime's auto-response. Call it in the
   * object's constructor: it is not persisted, and the object is rebuilt on
   * every wake. The hub itself never answers `ping` (it would close the
   * socket as "not JSON"), so a `pong` proves the auto-response is in place.
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
    const attachment: ConnectionAttachment = {
      env: principal.env,
      keyId: principal.keyId,
      instance: null,
      app: null,
      sdk: null,
      sentVersion: null,
      firstVersion: null,
      appliedVersion: null,
      connectedAt: now,
      lastAckAt: null,
      heardAt: now,
      resyncTokens: this.#limits.resyncBurst,
      resyncAt: now,
    };
    this.#save(server, attachment);
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
   * The object's `alarm` (after `AlarmClock.fired`): closes the sockets past
   * their hello or silence deadline and asks for the alarm by the next
   * deadline, if any socket is left.
   */
  async sweep(): Promise<void> {
    if (this.#ownsAlarm) this.#alarm.fired();
    const now = this.#now();
    let next = Infinity;
    for (const ws of this.#ctx.getWebSockets()) {
      const state = this.#stateOf(ws);
      if (state === null || ws.readyState !== WebSocket.READY_STATE_OPEN) continue;
      const pinged = this.#ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? -Infinity;
      const activity = { connectedAt: state.connectedAt, helloed: state.instance !== null, heardAt: Math.max(state.heardAt, pinged) };
      const idle = idleClose(activity, now, this.#limits);
      if (idle) shut(ws, idle.code, idle.reason);
      else next = Math.min(next, idleDeadline(activity, this.#limits));
    }
    if (next !== Infinity) await this.#alarmBy(Math.max(next, now) + ALARM_SLACK_MS);
  }

  #alarmBy(at: number): Promise<void> {
    return this.#alarm.wakeBy(at);
  }

  publish(change: CommittedChange): void {
    this.#generation++;
    this.#snapshots.delete(change.env);
    let connected = 0;
    for (const ws of this.#ctx.getWebSockets(envTag(change.env))) {
      const state = this.#stateOf(ws);
      if (state?.firstVersion != null && state.firstVersion < change.version) connected++;
    }
    this.#options.onPublished?.(change, connected);
    // The sends run after the request that committed the change has been answered
    // (a timer, not a microtask: those would run before the answer leaves). Timers
    // of one delay fire in order, so patches go out in version order; the pending
    // timer keeps the object awake until they have.
    const frame = JSON.stringify(patchOf(change)); // serialized once for every socket
    setTimeout(() => this.#deliver(change.env, change.version, frame), 0);
  }

  #deliver(env: string, version: number, frame: string): void {
    for (const ws of this.#ctx.getWebSockets(envTag(env))) {
      const state = this.#stateOf(ws);
      // Not loaded yet (its first state will include this change), or already past it.
      if (state?.sentVersion == null || state.sentVersion >= version) continue;
      if (trySend(ws, frame)) {
        state.sentVersion = version;
        this.#unsaved.add(ws);
      }
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
    for (const ws of this.#ctx.getWebSockets(keyTag(keyId))) shut(ws, CLOSE.UNAUTHORIZED, "key revoked");
  }

  /** Every open connection of an environment that has had its first state, in order of connection. */
  connections(env: string): Readonly<ConnectionAttachment>[] {
    const out: ConnectionAttachment[] = [];
    for (const ws of this.#ctx.getWebSockets(envTag(env))) {
      const state = this.#stateOf(ws);
      if (state?.firstVersion != null) out.push(state);
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

  /**
   * Versions among the last `keep` of each environment that an open connection,
   * connected at their commit, has not acked: version v is pending for a
   * connection when v > max(firstVersion, appliedVersion), so the pending
   * versions of an environment are those above the smallest such bound, up to
   * its current version.
   */
  async incompleteVersions(currentVersion: (env: string) => number | Promise<number>, keep: number): Promise<number> {
    const lowest = new Map<string, number>();
    for (const ws of this.#ctx.getWebSockets()) {
      const state = this.#stateOf(ws);
      if (state?.firstVersion == null || ws.readyState !== WebSocket.READY_STATE_OPEN) continue;
      const bound = Math.max(state.firstVersion, state.appliedVersion ?? -1);
      lowest.set(state.env, Math.min(lowest.get(state.env) ?? Infinity, bound));
    }
    let count = 0;
    for (const [env, bound] of lowest) {
      const current = await currentVersion(env);
      count += Math.max(0, current - Math.max(bound, current - keep));
    }
    return count;
  }

  /** Open connections that were connected when `version` was committed and have not acked it. */
  pending(env: string, version: number): PendingInstance[] {
    const out: PendingInstance[] = [];
    for (const c of this.connections(env)) {
      if (c.firstVersion! < version && (c.appliedVersion ?? -1) < version) {
        out.push({ instance: c.instance!, app: c.app!, appliedVersion: c.appliedVersion });
      }
    }
    return out;
  }

  /** The object's `webSocketMessage`. */
  async message(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const attachment = this.#stateOf(ws);
    if (attachment === null) return; // not a stream socket
    if (ws.readyState !== WebSocket.READY_STATE_OPEN) return; // closed by the hub: what it still sent is not read
    const at = this.#now();
    attachment.heardAt = at; // written with the frame's own save below
    if (typeof data !== "string") return shut(ws, CLOSE.POLICY, "binary frames are not part of protocol 1");
    if (data.length > MAX_CLIENT_FRAME_BYTES) return shut(ws, CLOSE.TOO_BIG, "frame too large");
    const frame = parseClientFrame(data);
    switch (frame.t) {
      case "invalid":
        return shut(ws, CLOSE.POLICY, frame.reason);
      case "hello":
        if (attachment.instance !== null) return shut(ws, CLOSE.POLICY, "hello twice");
        this.#options.telemetry?.sdkConnected(this.#connectionEvent(attachment, frame.instance, frame.app));
        return this.#run(ws, this.#hello(ws, attachment, frame));
      case "ack": {
        if (attachment.sentVersion === null) return shut(ws, CLOSE.POLICY, "ack before hello");
        if (frame.v > attachment.sentVersion) return shut(ws, CLOSE.POLICY, `ack of version ${frame.v}, never sent`);
        const previous = attachment.appliedVersion;
        attachment.appliedVersion = Math.max(previous ?? -1, frame.v);
        attachment.lastAckAt = at;
        this.#save(ws, attachment); // with the sentVersion of the patches it was sent
        this.#options.onAck?.(attachment, previous, at);
        return;
      }
      case "resync": {
        if (attachment.instance === null) return shut(ws, CLOSE.POLICY, "resync before hello");
        const refused = takeResync(attachment, at, this.#limits);
        if (refused) return shut(ws, refused.code, refused.reason);
        this.#save(ws, attachment);
        return this.#run(ws, this.#sendSnapshot(ws, attachment));
      }
    }
  }

  /** The object's `webSocketClose`: complete the closing handshake. */
  closed(ws: WebSocket, code: number, reason: string): void {
    this.#unsaved.delete(ws);
    const state = this.#stateOf(ws);
    if (state?.instance != null) this.#options.telemetry?.sdkDisconnected({ ...this.#connectionEvent(state, state.instance, state.app ?? undefined), code });
    const open = state === null ? undefined : this.#perKey.get(state.keyId);
    if (open !== undefined) this.#perKey.set(state!.keyId, Math.max(0, open - 1));
    // 1005 and 1006 describe a close without a code and cannot be sent.
    shut(ws, code === 1005 || code === 1006 ? 1000 : code, reason);
  }

  #connectionEvent(state: ConnectionAttachment, instance: string, app: string | undefined) {
    return { tenantId: this.#options.tenantId, env: state.env, keyId: state.keyId, instance, app };
  }

  /** First delivery: an `hb` when current, the missed changes as one patch, or a snapshot. */
  async #hello(ws: WebSocket, attachment: ConnectionAttachment, hello: Hello): Promise<void> {
    const helloed = { ...attachment, instance: hello.instance, app: hello.app, sdk: hello.sdk };
    const { tenantId, source } = this.#options;
    const since = hello.since;
    if (since === undefined) return this.#sendSnapshot(ws, helloed);
    const current = await this.#snapshotOf(helloed.env);
    if (since === current.version) {
      const at = this.#now();
      const next = { ...helloed, sentVersion: since, firstVersion: since, appliedVersion: since, lastAckAt: at };
      this.#save(ws, next);
      this.#options.onAck?.(next, null, at);
      const hb: HeartbeatMessage = { t: "hb", v: since, serverTime: at }; // "you are current"
      return void send(ws, hb);
    }
    if (since < current.version) {
      const changes = await source.changesSince(tenantId, helloed.env, since);
      const patch = changes && mergeChanges(changes);
      if (patch && patch.prev === since && patch.v === current.version) {
        if (send(ws, patch)) this.#save(ws, { ...helloed, sentVersion: patch.v, firstVersion: patch.v });
        return;
      }
    }
    this.#sendState(ws, helloed, current);
  }

  async #sendSnapshot(ws: WebSocket, attachment: ConnectionAttachment): Promise<void> {
    this.#sendState(ws, attachment, await this.#snapshotOf(attachment.env));
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
    const text = snapshotText(env, await this.#options.source.snapshot(this.#options.tenantId, env));
    if (generation === this.#generation) this.#snapshots.set(env, text); // no change published meanwhile
    return text;
  }

  #sendState(ws: WebSocket, attachment: ConnectionAttachment, state: SnapshotText): void {
    // Never a state older than one this socket was sent (a lagging read): that would roll the client back.
    if (state.version < (attachment.sentVersion ?? -1)) return;
    if (trySend(ws, snapshotFrame(state, this.#now()))) {
      this.#save(ws, { ...attachment, sentVersion: state.version, firstVersion: attachment.firstVersion ?? state.version });
    }
  }

  /** The socket's state: from memory, or from its attachment on first use after a wake; null for a foreign socket. */
  #stateOf(ws: WebSocket): ConnectionAttachment | null {
    const known = this.#live.get(ws);
    if (known !== undefined) return known;
    const attachment = (ws.deserializeAttachment() as ConnectionAttachment | null) ?? null;
    if (attachment !== null) this.#live.set(ws, attachment);
    return attachment;
  }

  /** Makes `state` the socket's state in memory and in its attachment. */
  #save(ws: WebSocket, state: ConnectionAttachment): void {
    ws.serializeAttachment(state);
    this.#live.set(ws, state);
    this.#unsaved.delete(ws);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setTimeout(() => this.#flush(), SENT_FLUSH_DELAY_MS);
  }

  #run(ws: WebSocket, work: Promise<void>): Promise<void> {
    return work.catch((error: unknown) => {
      this.#options.onError?.(error);
      shut(ws, 1011, "the server could not load this environment; reconnect");
    });
  }
}

const ENV_TAG = "env:";
const envTag = (env: string) => `${ENV_TAG}${env}`;
const keyTag = (keyId: string) => `key:${keyId}`;

function send(ws: WebSocket, message: ServerMessage): boolean {
  return trySend(ws, JSON.stringify(message));
}

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
