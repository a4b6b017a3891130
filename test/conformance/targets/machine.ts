/**
 * The core's session state machine (src/core/stream/session.ts) as a conformance
 * target: a minimal host in memory that carries out its effects exactly, with an
 * environment whose change log holds every change. Receipts as the hosts count them:
 * `connected` at each commit, `pending` from the open sessions' states when asked.
 */
import type { PatchMessage } from "@killswitch/sdk";
import { parseClientFrame } from "../../../src/core/stream/client-frame.js";
import { DEFAULT_STREAM_LIMITS } from "../../../src/core/stream/limits.js";
import { pendingAt } from "../../../src/core/receipts/receipt-tracker.js";
import { connectedAtCommit, openSession, step, type Loaded, type SessionInput, type SessionState } from "../../../src/core/stream/session.js";
import { snapshotText } from "../../../src/core/stream/snapshot-text.js";
import type { StreamTarget, TargetStream } from "../cases.js";

const ENV = "production";
const limits = DEFAULT_STREAM_LIMITS;

interface Session {
  state: SessionState;
  inbox: string[];
  waiters: ((frame: string) => void)[];
  close(code: number, reason: string): void;
}

export function machineTarget(): StreamTarget {
  let version = 1;
  let held: (() => void)[] | null = null;
  /** Held reads read the version when they start (`stallSnapshots`), not at their release. */
  let stalled = false;
  const sessions: Session[] = [];
  /** version → sessions connected at its commit. */
  const connectedAt = new Map<number, number>();
  const patch = (v: number, prev: number): PatchMessage => ({ t: "patch", v, prev, flags: {}, segments: {}, removed: { flags: [], segments: [] } });
  const now = () => Date.now();

  const deliver = (s: Session, frame: string) => {
    const waiter = s.waiters.shift();
    if (waiter) waiter(frame);
    else s.inbox.push(frame);
  };

  const feed = (s: Session, input: SessionInput): void => {
    const { state, effects } = step(s.state, input, limits);
    s.state = state;
    for (const effect of effects) {
      switch (effect.t) {
        case "send":
        case "sendFrame":
          deliver(s, effect.frame);
          break;
        case "sendShared":
          deliver(s, JSON.stringify(patch(effect.version, effect.version - 1)));
          break;
        case "load":
          // `newest`: every commit is published (and counted) here as it is made.
          void load(effect.since).then((loaded) => feed(s, { t: "loaded", loaded, at: now(), newest: version }));
          break;
        case "catchUp":
          for (let v = effect.from + 1; v <= version; v++) feed(s, { t: "published", version: v });
          break;
        case "close":
          s.close(effect.code, effect.reason);
          break;
        case "persist":
        case "receipt":
        case "announce":
          break; // kept in `state`, which the receipts below read
      }
    }
  };

  const load = async (since: number | undefined): Promise<Loaded> => {
    if (since !== undefined && since === version) return { kind: "current", version };
    if (since !== undefined && since >= 1 && since < version) {
      return { kind: "patch", prev: since, version, frame: JSON.stringify(patch(version, since)) };
    }
    const read = stalled ? version : null;
    if (held) await new Promise<void>((resolve) => held!.push(resolve));
    return { kind: "snapshot", snapshot: snapshotText(ENV, { version: read ?? version, flags: {}, segments: {} }) };
  };

  return {
    async open(): Promise<TargetStream> {
      let closed!: (c: { code: number; reason: string }) => void;
      const session: Session = {
        state: openSession(ENV, "key-1", now(), limits),
        inbox: [],
        waiters: [],
        close: (code, reason) => closed({ code, reason }),
      };
      sessions.push(session);
      return {
        sendText: (text) => queueMicrotask(() => feed(session, { t: "frame", frame: parseClientFrame(text), at: now() })),
        sendBinary: () => queueMicrotask(() => feed(session, { t: "refused", why: "binary", at: now() })),
        next: () => new Promise((resolve) => (session.inbox.length ? resolve(session.inbox.shift()!) : session.waiters.push(resolve))),
        closed: new Promise((resolve) => (closed = resolve)),
        // Frames are fed in microtasks: a macrotask later they have been.
        settle: () => new Promise((resolve) => setTimeout(resolve, 0)),
      };
    },
    async commit() {
      version++;
      connectedAt.set(version, sessions.filter((s) => connectedAtCommit(s.state, version)).length);
      for (const s of sessions) feed(s, { t: "published", version });
      return version;
    },
    async holdSnapshots() {
      held = [];
    },
    async stallSnapshots() {
      held = [];
      stalled = true;
    },
    async releaseSnapshots() {
      const waiting = held ?? [];
      held = null;
      stalled = false;
      for (const release of waiting) release();
    },
    async revokeKey() {
      for (const s of sessions) feed(s, { t: "keyRevoked" });
    },
    async receipt(v) {
      const connected = connectedAt.get(v);
      if (connected === undefined) return null;
      const open = sessions.filter((s) => s.state.phase !== "closed").map((s) => s.state);
      return { connected, pending: pendingAt(open, v).length };
    },
    async close() {},
  };
}
