import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { PING, PONG } from "@killswitch/sdk/protocol.js";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import type { Broadcaster, CommittedChange, EnvReset, StreamSource } from "../../core/broadcaster.js";
import type { PropagationTracker } from "./propagation-tracker.js";
import { UNMATCHED_ROUTE } from "../../core/metrics-catalog.js";
import { MAX_CLIENT_FRAME_BYTES, parseClientFrame } from "../../core/stream/client-frame.js";
import { admitConnection, streamLimits, type StreamLimits } from "../../core/stream/limits.js";
import {
  assignSession,
  frameOnto,
  heartbeatText,
  openSession,
  publishedOnto,
  readPlan,
  step,
  takesChange,
  takesHeartbeat,
  type LoadRequest,
  type Loaded,
  type ReceiptEvent,
  type SessionEffect,
  type SessionInput,
} from "../../core/stream/session.js";
import { EnvGroup } from "./env-group.js";
import { prepareText, writeFrame, type PreparedFrame } from "./frames.js";
import { snapshotFrame } from "../../core/stream/snapshot-text.js";
import { unsignedFrames, type StreamFrames } from "../../core/stream/stream-frames.js";
import { ProblemError } from "../../core/problem.js";
import { silentTelemetry, type Telemetry } from "../../core/telemetry.js";
import { REQUEST_ID_HEADER, requestIdOf } from "../../http/observe-requests.js";
import { noQuerySchema, parseQuery, queryRecord } from "../../http/request.js";
import { credentialOf, NO_CREDENTIAL, refusedTokenReason, selectSubprotocol, UNKNOWN_KEY } from "../../http/credentials.js";
import { isRejection, rejectUpgrade, type StreamAuthenticator, type StreamPrincipal, type StreamRejection } from "./stream-auth.js";
import { StreamSocket } from "./stream-socket.js";

export interface StreamHubOptions {
  source: StreamSource;
  /**
   * Builds every snapshot and patch frame, once for all sockets: the host passes the
   * core's `FrameSigner`, so that SDKs can verify them. Default: unsigned frames.
   */
  frames?: StreamFrames;
  /** Resolves the sdk key taken from the upgrade request (`credentialOf(…, "stream")`). */
  authenticate: StreamAuthenticator;
  tracker: PropagationTracker;
  /** How often each socket gets an `hb`. Default 10 s (the SDK's ping period is 10 s too). One hub-wide timer. */
  heartbeatMs?: number;
  /**
   * Deadlines, the `resync` allowance and streams per key (src/core/stream/limits.ts,
   * shared with the Worker); defaults for what is left out.
   */
  limits?: Partial<StreamLimits>;
  /**
   * How often one hub-wide timer looks for sockets past the hello or silence
   * deadline: a socket is closed at most this long after its deadline. Default 1 s.
   */
  sweepIntervalMs?: number;
  /** Largest client frame in bytes; ws closes the socket on a larger one (with `CLOSE.TOO_BIG`). Default 16 KiB. */
  maxPayload?: number;
  /** Bytes a socket may have waiting to be written; past it the socket is terminated. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Default `/v1/stream`. */
  path?: string;
  /** Clock for `serverTime` and the limits' deadlines. Default `Date.now`. */
  now?: () => number;
  /** Unexpected failures: a store that threw while loading a snapshot, an authenticator that threw. */
  onError?: (error: unknown) => void;
  /**
   * Each upgrade request as an HTTP request (101 or its refusal), refused keys,
   * and each connection's hello and close.
   */
  telemetry?: Telemetry;
}

export interface StreamHubStats {
  /** Open WebSocket connections. */
  connections: number;
  /** Environments with at least one connection. */
  envs: number;
}

/** What the hub knows of an upgrade request while it is being answered. */
interface Upgrade {
  requestId: string;
  started: number;
}

/** The Node host's WebSocket hub: protocol 1 on `/v1/stream`, and the core's {@link Broadcaster}. */
export interface StreamHub extends Broadcaster {
  /** For the HTTP server's `upgrade` event. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  stats(): StreamHubStats;
  /** Open connections per environment name, every tenant's summed (the metrics' `env` label). */
  connectionsByEnv(): Map<string, number>;
  /** Stop accepting, close every session (`shutdown`), and wait (at most `graceMs`) for them to go. */
  close(graceMs?: number): Promise<void>;
}

const PONG_FRAME = prepareText(PONG);
/** Timers visit one slice of the sockets per tick (see the timers below). */
const SLICES = 10;
/** Revoked keys remembered against upgrades in flight (see `revoked`). */
const MAX_REVOKED = 10_000;
/** RFC 6455 §5.5: a close frame's reason fits in 123 bytes. */
const MAX_REASON = 120;

export function createStreamHub(options: StreamHubOptions): StreamHub {
  const { source, authenticate, tracker } = options;
  const frames = options.frames ?? unsignedFrames;
  const path = options.path ?? "/v1/stream";
  const limit = options.maxBufferedBytes ?? 1 << 20;
  const now = options.now ?? Date.now;
  const onError = options.onError ?? (() => {});
  const telemetry = options.telemetry ?? silentTelemetry;
  const limits = streamLimits(options.limits);
  const groups = new Map<string, EnvGroup>();
  /** Open sockets per `tenant/keyId`, for the per-key limit. */
  const perKey = new Map<string, number>();
  /**
   * Keys revoked while this hub runs. An upgrade whose key was read just before a
   * revocation is answered after it: without this, that socket would be attached
   * with a key already revoked, after keyRevoked had closed the others. Bounded:
   * the window is one key lookup, so only the recent ones matter.
   */
  const revoked = new Set<string>();
  let closing: Promise<void> | null = null;
  let nextSlot = 0;

  const wss = new WebSocketServer<typeof StreamSocket>({
    noServer: true,
    perMessageDeflate: false, // preframed broadcast writes rely on it (frames.ts)
    clientTracking: false, // the hub's groups already hold every socket
    maxPayload: options.maxPayload ?? MAX_CLIENT_FRAME_BYTES,
    handleProtocols: (offered) => selectSubprotocol(offered) ?? false,
    WebSocket: StreamSocket,
  });
  /** Upgrade requests being answered, for the 101's `x-request-id` and the request's record. */
  const upgrades = new WeakMap<IncomingMessage, Upgrade>();
  wss.on("headers", (headers, req) => {
    const upgrade = upgrades.get(req);
    if (upgrade) headers.push(`${REQUEST_ID_HEADER}: ${upgrade.requestId}`);
  });
  // A handshake ws cannot complete (no Sec-WebSocket-Key, a bad version): answered here, as problem JSON, with its record.
  wss.on("wsClientError", (error, socket, req) => {
    const upgrade = upgrades.get(req);
    rejectUpgrade(socket, { status: 400, detail: error.message }, upgrade ? { [REQUEST_ID_HEADER]: upgrade.requestId } : {});
    if (upgrade) served(upgrade, path, 400);
  });

  // ---------------------------------------------------------------- upgrade

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const upgrade: Upgrade = { requestId: requestIdOf(headerOf(req, REQUEST_ID_HEADER)), started: performance.now() };
    upgrades.set(req, upgrade);
    const route = pathOf(req.url) === path ? path : UNMATCHED_ROUTE;
    const refuse = (rejection: StreamRejection | ProblemError, principal?: StreamPrincipal): void => {
      rejectUpgrade(socket, rejection, { [REQUEST_ID_HEADER]: upgrade.requestId });
      served(upgrade, route, rejection.status, principal);
    };
    if (route !== path) return refuse({ status: 404, detail: `no stream at ${pathOf(req.url)}` });
    if (closing) return refuse({ status: 503, detail: "the server is shutting down; reconnect" });
    const key = credentialOf((name) => headerOf(req, name), "stream");
    if (key === null) {
      telemetry.authFailed("missing");
      return refuse({ status: 401, detail: NO_CREDENTIAL.stream });
    }
    socket.on("error", ignore); // the peer may leave while the key is looked up
    Promise.resolve()
      .then(() => authenticate(key))
      .then(
        (result) => {
          socket.off("error", ignore);
          if (socket.destroyed) return;
          if (isRejection(result)) {
            telemetry.authFailed(result.status === 403 ? "forbidden" : refusedTokenReason(key));
            return refuse(result);
          }
          const badQuery = queryFault(req.url);
          if (badQuery !== null) return refuse(badQuery, result);
          if (revoked.has(groupKey(result.tenantId, result.keyId))) {
            telemetry.authFailed("unknown");
            return refuse({ status: 401, detail: UNKNOWN_KEY });
          }
          if (closing) return refuse({ status: 503, detail: "the server is shutting down; reconnect" }, result);
          wss.handleUpgrade(req, socket, head, (ws) => {
            served(upgrade, route, 101, result);
            attach(ws, result);
          });
        },
        (error: unknown) => {
          socket.off("error", ignore);
          onError(error);
          refuse({ status: 503, detail: "keys cannot be checked right now; retry" });
        },
      );
  }

  /** The upgrade request's record, as the app gives every other request. */
  function served(upgrade: Upgrade, route: string, status: number, principal?: StreamPrincipal): void {
    telemetry.requestServed({
      requestId: upgrade.requestId,
      method: "GET",
      route,
      status,
      durationMs: performance.now() - upgrade.started,
      tenantId: principal?.tenantId,
      keyId: principal?.keyId,
    });
  }

  function attach(ws: StreamSocket, principal: StreamPrincipal): void {
    const owner = groupKey(principal.tenantId, principal.keyId);
    const open = perKey.get(owner) ?? 0;
    const refused = admitConnection(open, limits);
    if (refused) {
      // Upgraded only to say why: the close code reaches every client, a browser's included.
      ws.on("error", ignore);
      ws.close(refused.code, refused.reason);
      return;
    }
    perKey.set(owner, open + 1);
    const key = groupKey(principal.tenantId, principal.env);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = new EnvGroup(key, principal.tenantId, principal.env)));
    ws.group = group;
    ws.keyId = principal.keyId;
    ws.slot = nextSlot = (nextSlot + 1) % SLICES;
    ws.session = openSession(principal.env, principal.keyId, now(), limits);
    group.sockets.add(ws);
    // Shared listeners (`this` is the socket): no closure per connection.
    ws.on("message", onMessage);
    ws.on("error", ignore); // ws closes the socket itself on an oversized frame or bad UTF-8
    ws.on("close", onClose);
  }

  // ---------------------------------------------------------------- the session machine's adapter

  function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
    const ws = this as StreamSocket; // built by ws from StreamSocket (see attach)
    if (ws.session.phase === "closed") return;
    const at = now();
    if (isBinary) return apply(ws, { t: "refused", why: "binary", at });
    const buffer = data as Buffer; // binaryType is "nodebuffer": always one Buffer
    if (buffer.length === PING.length && buffer.toString("latin1") === PING) return apply(ws, { t: "ping", at });
    const before = ws.session.phase;
    // In place (an ack from every socket for every change): the state `step` would answer, no copy.
    carryOut(ws, frameOnto<PreparedFrame>(ws.session, parseClientFrame(buffer.toString("utf8")), at, limits), false);
    const s = ws.session;
    if (before === "open" && s.phase === "loading") {
      telemetry.sdkConnected({ tenantId: ws.group.tenantId, env: ws.group.env, keyId: ws.keyId, instance: s.instance!, app: s.app!, sdk: s.sdk! });
    }
  }

  /**
   * Steps the socket's session and carries out its effects. `code` is the peer's close
   * code, for the telemetry of a session that ends by `gone`.
   */
  function apply(ws: StreamSocket, input: SessionInput<PreparedFrame>, code?: number): void {
    const { state, effects } = step(ws.session, input, limits);
    if (state !== ws.session) assignSession(ws.session, state); // one state object for the socket's life (see assignSession)
    carryOut(ws, effects, input.t === "loaded" && input.loaded.kind === "patch", code);
  }

  /** The effects of one step. `fromPatch`: the step was a loaded patch (see catchUp). */
  function carryOut(ws: StreamSocket, effects: readonly SessionEffect<PreparedFrame>[], fromPatch: boolean, code?: number): void {
    for (const effect of effects) {
      switch (effect.t) {
        case "send":
          writeFrame(ws, effect.frame === PONG ? PONG_FRAME : prepareText(effect.frame), limit);
          break;
        case "sendFrame":
          writeFrame(ws, effect.frame, limit);
          break;
        case "sendShared":
          break; // only from `published`, which `sendPatch` steps itself
        case "persist":
          break; // the state lives on the socket
        case "load":
          run(ws, load(ws, effect));
          break;
        case "catchUp":
          // A socket that resumed from a patch and is too far behind the recent frames loads a snapshot.
          catchUp(ws, fromPatch);
          break;
        case "announce":
          run(ws, announce(ws));
          break;
        case "close":
          code = effect.code;
          ws.close(effect.code, truncate(effect.reason));
          break;
        case "receipt":
          receipt(ws, effect.event, code);
          break;
      }
    }
  }

  function receipt(ws: StreamSocket, event: ReceiptEvent, code: number | undefined): void {
    switch (event.kind) {
      case "connected":
        ws.instance = tracker.connect(ws.group.tenantId, ws.group.env, { instance: event.instance, app: event.app, sdk: event.sdk }, event.at, event.version);
        return;
      case "acked":
        if (ws.instance) tracker.ack(ws.instance, event.version);
        return;
      case "disconnected": {
        // Once, whether the hub or the peer closed it; told to telemetry even while its first state loaded.
        const s = ws.session;
        if (ws.instance) tracker.disconnect(ws.instance);
        ws.instance = null;
        telemetry.sdkDisconnected({ tenantId: ws.group.tenantId, env: ws.group.env, keyId: ws.keyId, instance: event.instance, app: s.app!, sdk: s.sdk!, code });
        return;
      }
    }
  }

  /** During a signing key's overlap, the new key's announcement. */
  async function announce(ws: StreamSocket): Promise<void> {
    const announcement = await frames.announcement(ws.group.tenantId, ws.group.env);
    if (announcement && takesHeartbeat(ws.session)) writeFrame(ws, prepareText(snapshotFrame(announcement, now())), limit);
  }

  /** The state a `load` asked for, read once for every socket of the environment that asks for the same. */
  async function load(ws: StreamSocket, request: LoadRequest): Promise<void> {
    const g = ws.group;
    if (request.since !== undefined && g.version < 0) await g.snapshotOf(source, frames); // learn the current version and epoch
    if (isDone(ws)) return;
    const plan = readPlan(request, { version: g.version, epoch: g.epoch });
    let loaded: Loaded<PreparedFrame> | null = null;
    if (plan === "current") loaded = { kind: "current", version: g.version };
    else if (plan === "changes") {
      const resume = await g.resumeOf(source, frames, request.since!);
      if (resume) loaded = { kind: "patch", prev: request.since!, version: resume.version, frame: resume.frame };
    }
    if (loaded === null) {
      const snapshot = await g.snapshotOf(source, frames);
      loaded = { kind: "snapshot", snapshot, ...(request.replace ? { replace: true } : {}) };
    }
    // The newest commit counted so far: a state read before it and sent now counts from it (the session's firstVersion).
    if (!isDone(ws)) apply(ws, { t: "loaded", loaded, at: now(), newest: tracker.newest(g.tenantId, g.env) });
  }

  /** Bring a socket that just finished loading up to the group's version, from the recent frames. */
  function catchUp(ws: StreamSocket, mayReload: boolean): void {
    const g = ws.group;
    while (takesChange(ws.session, g.version)) {
      const next = g.patchAfter(ws.session.sentVersion!);
      if (!next) {
        // Too far behind the recent frames. After a fresh snapshot this cannot
        // recur; if it does, the next heartbeat makes the client resync.
        if (mayReload) run(ws, load(ws, { since: undefined }));
        return;
      }
      if (!sendPatch(ws, next.version, next.frame)) return;
    }
  }

  /** A published patch, to one socket when the session takes it; false when it was not written. */
  function sendPatch(ws: StreamSocket, version: number, frame: PreparedFrame): boolean {
    // The machine's `published` step, in place: the frame was built once for every socket.
    if (!takesChange(ws.session, version) || !writeFrame(ws, frame, limit)) return false;
    publishedOnto(ws.session, version);
    return true;
  }

  function run(ws: StreamSocket, work: Promise<void>): void {
    work.catch((error: unknown) => {
      onError(error);
      apply(ws, { t: "loadFailed" });
    });
  }

  // ---------------------------------------------------------------- broadcast

  function publish(change: CommittedChange): void {
    tracker.commit(change.tenantId, change.env, change.version, change.committedAt);
    const g = groups.get(groupKey(change.tenantId, change.env));
    if (!g) return;
    // Serialized, signed and framed once; the same bytes go to every socket. Frames
    // resolve in publish order (the signer keeps them so, per environment).
    void frames.patch(change).then((text) => {
      const frame = prepareText(text);
      g.advance(change.version, change.prev, frame);
      // The writes run once the current task is done, so the request that committed
      // the change is answered before the loop over every socket (about 90 ms at
      // 10,000), not after it. Loops run in publish order; a socket that catches up
      // meanwhile (catchUp) is past `v` and skipped.
      setImmediate(deliver, g, change.version, frame);
    });
  }

  function deliver(g: EnvGroup, v: number, frame: PreparedFrame): void {
    for (const ws of g.sockets) sendPatch(ws, v, frame);
  }

  /**
   * The environment's signing keys changed (`key`): what was signed before is dropped,
   * and each socket gets the new key's announcement. Or its epoch did (`epoch`: a
   * restore, whose versions may be lower than what sockets hold): every socket is sent
   * the new snapshot, whatever it was sent before.
   */
  function resetEnvironment(tenantId: string, env: string, cause: EnvReset): void {
    const g = groups.get(groupKey(tenantId, env));
    if (!g) return;
    g.reset(cause === "epoch");
    for (const ws of g.sockets) apply(ws, { t: "reset", cause });
  }

  function keyRevoked(tenantId: string, keyId: string): void {
    if (revoked.size >= MAX_REVOKED) revoked.delete(revoked.values().next().value!);
    revoked.add(groupKey(tenantId, keyId));
    for (const g of groups.values()) {
      if (g.tenantId !== tenantId) continue;
      for (const ws of g.sockets) if (ws.keyId === keyId) apply(ws, { t: "keyRevoked" });
    }
  }

  // ---------------------------------------------------------------- timers (one each for the whole hub)
  //
  // Each socket gets a heartbeat every heartbeatMs, but a tick serves one
  // slice of the sockets: 10,000 writes at once would hold the event loop for
  // ~100 ms, and a flip landing then would wait behind them. The sweep writes
  // nothing but the rare close, so it visits every socket at each tick.

  const heartbeat = everySlice(options.heartbeatMs ?? 10_000, (slot) => {
    for (const g of groups.values()) {
      if (g.version < 0) continue;
      let frame: PreparedFrame | null = null;
      for (const ws of g.sockets) {
        if (ws.slot !== slot || !takesHeartbeat(ws.session)) continue;
        frame ??= prepareText(heartbeatText(g.version, now()));
        writeFrame(ws, frame, limit);
      }
    }
  });

  const sweeper = setInterval(() => {
    const tick = { t: "tick", at: now() } as const; // read by each step, kept by none
    for (const g of groups.values()) {
      for (const ws of g.sockets) apply(ws, tick);
    }
  }, options.sweepIntervalMs ?? 1_000);
  sweeper.unref();

  // ---------------------------------------------------------------- closing

  function onClose(this: WebSocket, code: number): void {
    const ws = this as StreamSocket;
    apply(ws, { t: "gone" }, code);
    const owner = groupKey(ws.group.tenantId, ws.keyId);
    const open = (perKey.get(owner) ?? 1) - 1;
    if (open > 0) perKey.set(owner, open);
    else perKey.delete(owner);
    const g = ws.group;
    g.sockets.delete(ws);
    if (g.sockets.size === 0 && groups.get(g.key) === g) groups.delete(g.key);
  }

  function close(graceMs = 2_000): Promise<void> {
    closing ??= (async () => {
      clearInterval(heartbeat);
      clearInterval(sweeper);
      const sockets = [...groups.values()].flatMap((g) => [...g.sockets]);
      const gone = sockets.map((ws) => new Promise((resolve) => ws.once("close", resolve)));
      for (const ws of sockets) apply(ws, { t: "shutdown" });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(gone), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
      for (const ws of sockets) ws.terminate();
      wss.close();
    })();
    return closing;
  }

  function connectionsByEnv(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const g of groups.values()) counts.set(g.env, (counts.get(g.env) ?? 0) + g.sockets.size);
    return counts;
  }

  function stats(): StreamHubStats {
    let connections = 0;
    for (const g of groups.values()) connections += g.sockets.size;
    return { connections, envs: groups.size };
  }

  return { handleUpgrade, publish, keyRevoked, resetEnvironment, stats, connectionsByEnv, close };
}

function groupKey(tenantId: string, env: string): string {
  return `${tenantId}/${env}`; // a tenant id is [a-z0-9]{10}: no "/"
}

/** Why the upgrade's query string is refused (the stream takes no parameters), or null. */
function queryFault(url: string | undefined): ProblemError | null {
  const q = url?.indexOf("?") ?? -1;
  if (q < 0) return null;
  try {
    parseQuery(queryRecord(url!.slice(q + 1)), noQuerySchema);
    return null;
  } catch (error) {
    if (error instanceof ProblemError) return error;
    throw error;
  }
}

/** One header of a Node request; a repeated one (never the case for ours) reads as its first. */
function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function pathOf(url: string | undefined): string {
  const q = url?.indexOf("?") ?? -1;
  return url === undefined ? "/" : q < 0 ? url : url.slice(0, q);
}

function truncate(reason: string): string {
  let out = reason;
  while (Buffer.byteLength(out) > MAX_REASON) out = out.slice(0, -1);
  return out;
}

/** Run `visit(slot)` for slot 0, 1, … SLICES−1 in turn, so each slot comes round every `periodMs`. */
function everySlice(periodMs: number, visit: (slot: number) => void): NodeJS.Timeout {
  let tick = 0;
  const timer = setInterval(() => {
    visit(tick);
    tick = (tick + 1) % SLICES;
  }, Math.max(1, Math.round(periodMs / SLICES)));
  timer.unref();
  return timer;
}

/** Not inlined: TypeScript would keep a narrowing of `phase` across an await. */
function isDone(ws: StreamSocket): boolean {
  return ws.session.phase === "closed";
}

function ignore(): void {}
