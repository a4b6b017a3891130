/**
 * One stream session (one SDK socket) as a pure state machine: protocol 1's
 * decisions in one place. `step(state, input)` answers the next state and the
 * effects a host carries out; it does no I/O, reads no clock and keeps nothing
 * outside `state`, which is a plain serialisable value (what the Worker keeps as
 * a socket's attachment across hibernation).
 *
 * A host reads the socket and feeds `step` what happened: a client frame, the
 * result of a load it was asked for, a committed change, a revoked key, a
 * sweep of its clock. It carries out the effects: `send` a frame, `sendShared`
 * the change's frame built once for every socket, `load` a state, `catchUp`
 * from its recent frames, `close`, `persist` the state, and `receipt` events
 * for the propagation receipts. The conformance cases (test/conformance/)
 * run this machine and both hosts against the same expectations.
 *
 * The life of a session: `open` (upgraded, no hello yet) → `loading` (hello or
 * resync received, a state being read) → `live` (sent a state; gets every
 * later change) → `closed`. A resync while `live` loads again without leaving
 * `live`: patches keep flowing and the snapshot never rolls the client back.
 */
import { connectedAtCommit as receiptConnectedAtCommit, countedFrom } from "../receipts/receipt-tracker.js";
import { CLOSE, PONG, type HeartbeatMessage } from "@killswitch/sdk/protocol.js";
import type { ClientFrame } from "./client-frame.js";
import { idleClose, takeResync, type CloseOrder, type ResyncBucket, type StreamLimits } from "./limits.js";
import { snapshotFrame, type SnapshotText } from "./snapshot-text.js";

export type SessionPhase = "open" | "loading" | "live" | "closed";

export interface SessionState extends ResyncBucket {
  phase: SessionPhase;
  env: string;
  keyId: string;
  /** From the client's hello; null until then. */
  instance: string | null;
  app: string | null;
  sdk: string | null;
  /** The version of the state the client was last sent; null until its first one. */
  sentVersion: number | null;
  /**
   * Null until the client is sent its first state after its hello; then the version
   * it is counted from (see {@link connectedAtCommit}): that state's version, or the
   * newest commit its host had published when the state was sent, if newer (a state
   * read before a commit and sent after it, `countedFrom` in the receipts).
   */
  firstVersion: number | null;
  /** The highest version the client acknowledged. */
  appliedVersion: number | null;
  connectedAt: number;
  lastAckAt: number | null;
  /** The last frame received (a `ping` answered by a runtime on its own is not in it). */
  heardAt: number;
}

/**
 * What a host reads for a `load` effect: the client is current, a patch from its
 * version (`prev`) to `version`, framed once, or a snapshot. `replace` carries the
 * load's own flag (an epoch reset) back with its snapshot.
 */
export type Loaded<F = string> =
  | { kind: "current"; version: number }
  | { kind: "patch"; prev: number; version: number; frame: F }
  | { kind: "snapshot"; snapshot: SnapshotText; replace?: boolean };

/**
 * A state to read. `since` is the client's version from its hello (undefined for a
 * snapshot); it counts only within `epoch`, the client's epoch (see {@link readPlan}).
 * `replace`: the environment has a new epoch, whose snapshot is sent whatever version
 * the client was sent before.
 */
export interface LoadRequest {
  since: number | undefined;
  epoch?: string;
  replace?: boolean;
}

/** `F`: a patch frame as the host holds it, built once for every socket (text, or Node's prepared bytes). */
export type SessionInput<F = string> =
  /** A text frame, parsed (`parseClientFrame`). */
  | { t: "frame"; frame: ClientFrame; at: number }
  /** The bare `ping` frame, where the runtime does not answer it on its own. */
  | { t: "ping"; at: number }
  /** A binary frame, or one over the size limit. */
  | { t: "refused"; why: "binary" | "too big"; at: number }
  /**
   * The state a `load` effect asked for; `at` is the server time sent with it. `newest`:
   * the newest version the host has published (and counted receipts for) by now, if it
   * knows one; the session's first state counts from it when the state is older.
   */
  | { t: "loaded"; loaded: Loaded<F>; at: number; newest?: number | null }
  | { t: "loadFailed" }
  /** A change of the session's environment was committed; its frame is shared by every socket. */
  | { t: "published"; version: number }
  | { t: "keyRevoked" }
  /** The host is shutting down. */
  | { t: "shutdown" }
  /** The environment's signing keys (`key`) or epoch (`epoch`, a restore) changed. */
  | { t: "reset"; cause: "key" | "epoch" }
  /** A sweep of the host's clock; `pingedAt` is a runtime's own record of the last `ping`, if it keeps one. */
  | { t: "tick"; at: number; pingedAt?: number }
  /** The peer closed or the socket failed. */
  | { t: "gone" };

export type ReceiptEvent =
  /** The first state after the hello was sent: the session counts as connected at each commit after `version` (its `firstVersion`). */
  | { kind: "connected"; instance: string; app: string; sdk: string; at: number; version: number }
  | { kind: "acked"; instance: string; version: number; previous: number | null; at: number }
  | { kind: "disconnected"; instance: string };

export type SessionEffect<F = string> =
  | { t: "send"; frame: string }
  /** Send a loaded patch's frame, as the host built it. */
  | { t: "sendFrame"; frame: F }
  | { t: "sendShared"; version: number }
  /** Read the state to send (see {@link readPlan}), then step `loaded` or `loadFailed`. */
  | ({ t: "load" } & LoadRequest)
  /** During a signing key's overlap, send the new key's announcement (built once by the host's frames), if there is one. */
  | { t: "announce" }
  /** Send the changes committed after `from` that the host still holds framed, in order. */
  | { t: "catchUp"; from: number }
  | { t: "close"; code: number; reason: string }
  | { t: "persist" }
  | { t: "receipt"; event: ReceiptEvent };

export interface Step<F = string> {
  state: SessionState;
  /** Read-only: a step with nothing to do, or only a common effect, answers a shared list. */
  effects: readonly SessionEffect<F>[];
}

/** RFC 6455 §7.4.1: the server met a condition that kept it from serving the request. */
export const CLOSE_INTERNAL = 1011;

// The effects every socket meets on its hot paths (a tick, a ping, an ack, a change
// not taken), built once: a step there allocates no effect and no list for them.
const NONE: readonly never[] = Object.freeze([]);
const PERSIST = Object.freeze({ t: "persist" } as const);
const ANNOUNCE = Object.freeze({ t: "announce" } as const);
const ANSWER_PING: readonly SessionEffect<never>[] = Object.freeze([Object.freeze({ t: "send", frame: PONG } as const)]);
const PERSIST_ONLY: readonly SessionEffect<never>[] = Object.freeze([PERSIST]);

/** A session just upgraded, before its hello. */
export function openSession(env: string, keyId: string, at: number, limits: StreamLimits): SessionState {
  return {
    phase: "open",
    env,
    keyId,
    instance: null,
    app: null,
    sdk: null,
    sentVersion: null,
    firstVersion: null,
    appliedVersion: null,
    connectedAt: at,
    lastAckAt: null,
    heardAt: at,
    resyncTokens: limits.resyncBurst,
    resyncAt: at,
  };
}

/**
 * Copies every field of `source` onto `target`. For a host that keeps one state object
 * per socket for the socket's life (Node): the state a step answers is then short-lived,
 * and dies young, instead of replacing a long-lived object at every ping, ack and patch
 * (each replaced one would outlive the young generation and leave old-space garbage).
 */
export function assignSession(target: SessionState, source: SessionState): void {
  target.phase = source.phase;
  target.env = source.env;
  target.keyId = source.keyId;
  target.instance = source.instance;
  target.app = source.app;
  target.sdk = source.sdk;
  target.sentVersion = source.sentVersion;
  target.firstVersion = source.firstVersion;
  target.appliedVersion = source.appliedVersion;
  target.connectedAt = source.connectedAt;
  target.lastAckAt = source.lastAckAt;
  target.heardAt = source.heardAt;
  target.resyncTokens = source.resyncTokens;
  target.resyncAt = source.resyncAt;
}

/** "Connected at commit" for an open session: the receipts' one definition (src/core/receipts/receipt-tracker.ts). */
export function connectedAtCommit(state: SessionState, version: number): boolean {
  return state.phase !== "closed" && receiptConnectedAtCommit(state, version);
}

/** Whether a host's periodic heartbeat goes to this session: it has its state. */
export function takesHeartbeat(state: SessionState): boolean {
  return state.phase === "live";
}

/** The heartbeat frame: the environment's `version` ("you are current" when it is the client's). */
export function heartbeatText(version: number, at: number): string {
  const hb: HeartbeatMessage = { t: "hb", v: version, serverTime: at };
  return JSON.stringify(hb);
}

/** Whether a committed change goes to this session now: it is live and behind it. */
export function takesChange(state: SessionState, version: number): boolean {
  return state.phase === "live" && state.sentVersion !== null && state.sentVersion < version;
}

/**
 * The `published` step applied to the session's own state, for a hub's fan-out of
 * one change to every socket: when `takesChange(state, version)`, the state that
 * `step(state, {t: "published", version})` answers, without a new state object per
 * socket per change (at 10,000 sockets those copies were a tenth of the hub's own
 * CPU per change). A host calls it once the shared frame is written. Returns `state`.
 */
export function publishedOnto(state: SessionState, version: number): SessionState {
  state.sentVersion = version;
  return state;
}

/**
 * What a host reads for a load, once it knows the environment's current version and
 * epoch: nothing more ("current"), the changes after `since` (to be merged into one
 * patch that must reach `current.version`, else a snapshot), or the snapshot. A `since`
 * of another epoch says nothing about the state (after a restore); an SDK that sends
 * no epoch predates them and resumes as before.
 */
export function readPlan(load: LoadRequest, current: { version: number; epoch?: string }): "current" | "changes" | "snapshot" {
  const { since } = load;
  if (since === undefined || load.replace) return "snapshot";
  if (load.epoch !== undefined && load.epoch !== current.epoch) return "snapshot";
  if (since === current.version) return "current";
  return since < current.version ? "changes" : "snapshot";
}

export function step<F = string>(state: SessionState, input: SessionInput<F>, limits: StreamLimits): Step<F> {
  if (state.phase === "closed") return { state, effects: NONE };
  switch (input.t) {
    case "frame": {
      const next = { ...state };
      return { state: next, effects: frameOnto<F>(next, input.frame, input.at, limits) };
    }
    case "ping":
      return { state: { ...state, heardAt: input.at }, effects: ANSWER_PING };
    case "refused":
      return input.why === "binary"
        ? close({ ...state, heardAt: input.at }, CLOSE.POLICY, "binary frames are not part of protocol 1")
        : close({ ...state, heardAt: input.at }, CLOSE.TOO_BIG, "frame too large");
    case "loaded":
      return onLoaded(state, input.loaded, input.at, input.newest ?? null);
    case "loadFailed":
      return close(state, CLOSE_INTERNAL, "the server could not load this environment; reconnect");
    case "published":
      if (!takesChange(state, input.version)) return { state, effects: NONE };
      return { state: publishedOnto({ ...state }, input.version), effects: [{ t: "sendShared", version: input.version }] };
    case "keyRevoked":
      return close(state, CLOSE.UNAUTHORIZED, "key revoked");
    case "shutdown":
      return close(state, CLOSE.GOING_AWAY, "server shutting down");
    case "reset":
      // A session whose first state is on its way gets the new key or epoch with it.
      if (state.sentVersion === null || state.phase === "open") return { state, effects: NONE };
      if (input.cause === "key") return { state, effects: state.phase === "live" ? [ANNOUNCE] : NONE };
      return { state, effects: [{ t: "load", since: undefined, replace: true }] };
    case "tick": {
      const heardAt = Math.max(state.heardAt, input.pingedAt ?? -Infinity);
      const idle = idleClose({ connectedAt: state.connectedAt, helloed: state.instance !== null, heardAt }, input.at, limits);
      return idle ? close(state, idle.code, idle.reason) : { state, effects: NONE };
    }
    case "gone":
      return { state: { ...state, phase: "closed" }, effects: state.instance === null ? NONE : [{ t: "receipt", event: { kind: "disconnected", instance: state.instance } }] };
  }
}

/**
 * A client frame's step applied to the session's own state: `state` becomes the
 * state `step(state, {t: "frame", frame, at})` answers, and the effects are
 * returned. For a host's hot path (an ack from every socket for every change):
 * no new state object per frame. `step` runs it on its one copy of the state.
 */
export function frameOnto<F = string>(state: SessionState, frame: ClientFrame, at: number, limits: StreamLimits): readonly SessionEffect<F>[] {
  if (state.phase === "closed") return NONE;
  state.heardAt = at;
  switch (frame.t) {
    case "invalid":
      return closeOnto(state, CLOSE.POLICY, frame.reason);
    case "hello":
      if (state.phase !== "open") return closeOnto(state, CLOSE.POLICY, "hello twice");
      state.phase = "loading";
      state.instance = frame.instance;
      state.app = frame.app;
      state.sdk = frame.sdk;
      return [PERSIST, { t: "load", since: frame.since, ...(frame.epoch === undefined ? {} : { epoch: frame.epoch }) }];
    case "ack": {
      if (state.phase === "open") return closeOnto(state, CLOSE.POLICY, "ack before hello");
      if (frame.v > (state.sentVersion ?? -1)) return closeOnto(state, CLOSE.POLICY, `ack of version ${frame.v}, never sent`);
      const previous = state.appliedVersion;
      state.appliedVersion = Math.max(previous ?? -1, frame.v);
      state.lastAckAt = at;
      return [PERSIST, { t: "receipt", event: { kind: "acked", instance: state.instance!, version: frame.v, previous, at } }];
    }
    case "resync": {
      if (state.phase === "open") return closeOnto(state, CLOSE.POLICY, "resync before hello");
      const refused: CloseOrder | null = takeResync(state, at, limits);
      if (refused) return closeOnto(state, refused.code, refused.reason);
      // A state is already on its way: it is as current as the one asked for.
      if (state.phase === "loading") return PERSIST_ONLY;
      return [PERSIST, { t: "load", since: undefined }];
    }
  }
}

function onLoaded<F>(state: SessionState, loaded: Loaded<F>, at: number, newest: number | null): Step<F> {
  const sent = state.sentVersion ?? -1;
  switch (loaded.kind) {
    case "current": {
      if (state.sentVersion !== null) return { state: { ...state, phase: "live" }, effects: [{ t: "catchUp", from: state.sentVersion }] };
      const v = loaded.version;
      const first = countedFrom(v, newest);
      const next: SessionState = { ...state, phase: "live", sentVersion: v, firstVersion: first, appliedVersion: v, lastAckAt: at };
      return {
        state: next,
        effects: [
          { t: "send", frame: heartbeatText(v, at) }, // "you are current"
          PERSIST,
          ...firstState<F>(state, first, at),
          { t: "receipt", event: { kind: "acked", instance: state.instance!, version: v, previous: null, at } },
          { t: "catchUp", from: v },
        ],
      };
    }
    case "patch": {
      const v = loaded.version;
      // Only a patch from what the client holds moves it; anything else is a snapshot's job.
      if (loaded.prev !== sent && state.sentVersion !== null) return { state: { ...state, phase: "live" }, effects: [{ t: "catchUp", from: sent }] };
      const next: SessionState = { ...state, phase: "live", sentVersion: v, firstVersion: state.firstVersion ?? countedFrom(v, newest) };
      return { state: next, effects: [{ t: "sendFrame", frame: loaded.frame }, PERSIST, ...firstState<F>(state, next.firstVersion!, at), { t: "catchUp", from: v }] };
    }
    case "snapshot": {
      const v = loaded.snapshot.version;
      // Never a state older than one this socket was sent (a lagging read): that would roll the client back.
      // A new epoch's snapshot is the exception: its versions start again.
      if (v < sent && !loaded.replace) return { state: { ...state, phase: "live" }, effects: [{ t: "catchUp", from: sent }] };
      const next: SessionState = { ...state, phase: "live", sentVersion: v, firstVersion: state.firstVersion ?? countedFrom(v, newest) };
      return {
        state: next,
        effects: [{ t: "send", frame: snapshotFrame(loaded.snapshot, at) }, PERSIST, ...firstState<F>(state, next.firstVersion!, at), { t: "catchUp", from: v }],
      };
    }
  }
}

/** The receipt event of a session's first state (counted from `first`), when this is it, and the signing key's announcement after it. */
function firstState<F>(before: SessionState, first: number, at: number): SessionEffect<F>[] {
  if (before.firstVersion !== null) return [];
  return [{ t: "receipt", event: { kind: "connected", instance: before.instance!, app: before.app!, sdk: before.sdk!, at, version: first } }, ANNOUNCE];
}

function close<F>(state: SessionState, code: number, reason: string): Step<F> {
  const next = { ...state };
  return { state: next, effects: closeOnto<F>(next, code, reason) };
}

function closeOnto<F>(state: SessionState, code: number, reason: string): SessionEffect<F>[] {
  const effects: SessionEffect<F>[] = [{ t: "close", code, reason }];
  if (state.instance !== null) effects.push({ t: "receipt", event: { kind: "disconnected", instance: state.instance } });
  state.phase = "closed";
  return effects;
}
