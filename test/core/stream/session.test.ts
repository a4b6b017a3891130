/**
 * The session state machine's transitions one by one, on a plain clock. The
 * conformance cases (test/conformance/) run whole conversations on it and on
 * both hosts; these pin the transitions those cannot reach or time.
 */
import { describe, expect, it } from "vitest";
import { parseClientFrame } from "../../../src/core/stream/client-frame.js";
import { streamLimits } from "../../../src/core/stream/limits.js";
import { assignSession, connectedAtCommit, frameOnto, openSession, publishedOnto, readPlan, step, takesChange, type SessionEffect, type SessionInput, type SessionState } from "../../../src/core/stream/session.js";
import { snapshotText } from "../../../src/core/stream/snapshot-text.js";

const limits = streamLimits();
const hello = (since?: number): SessionInput => ({
  t: "frame",
  frame: parseClientFrame(JSON.stringify({ t: "hello", protocol: 1, sdk: "s/1", app: "a", instance: "i1", ...(since === undefined ? {} : { since }) })),
  at: 10,
});
const snapshot = (version: number, replace?: boolean): SessionInput => ({
  t: "loaded",
  loaded: { kind: "snapshot", snapshot: snapshotText("production", { version, flags: {}, segments: {} }), ...(replace ? { replace } : {}) },
  at: 20,
});
/** A snapshot sent when the host's newest published version is `newest`. */
const snapshotWhen = (version: number, newest: number): SessionInput => ({
  t: "loaded",
  loaded: { kind: "snapshot", snapshot: snapshotText("production", { version, flags: {}, segments: {} }) },
  at: 20,
  newest,
});

/** Runs inputs from a fresh session; answers the last state and every effect. */
function run(...inputs: SessionInput[]): { state: SessionState; effects: SessionEffect[] } {
  let state = openSession("production", "k1", 0, limits);
  const effects: SessionEffect[] = [];
  for (const input of inputs) {
    const next = step(state, input, limits);
    state = next.state;
    effects.push(...next.effects);
  }
  return { state, effects };
}

describe("the session state machine", () => {
  it("asks for a load on hello, and is live with its first state sent", () => {
    const loading = run(hello());
    expect(loading.state.phase).toBe("loading");
    expect(loading.effects).toEqual([{ t: "persist" }, { t: "load", since: undefined }]);

    const live = run(hello(), snapshot(4));
    expect(live.state).toMatchObject({ phase: "live", sentVersion: 4, firstVersion: 4, instance: "i1" });
    expect(live.effects).toContainEqual({ t: "receipt", event: { kind: "connected", instance: "i1", app: "a", sdk: "s/1", at: 20, version: 4 } });
    expect(live.effects.at(-1)).toEqual({ t: "catchUp", from: 4 });
  });

  it("counts as connected at commit only once it was sent a state, for the commits after it", () => {
    const loading = run(hello()).state;
    expect(connectedAtCommit(loading, 5)).toBe(false);
    const live = run(hello(), snapshot(4)).state;
    expect(connectedAtCommit(live, 4)).toBe(false);
    expect(connectedAtCommit(live, 5)).toBe(true);
    expect(connectedAtCommit(step(live, { t: "gone" }, limits).state, 5)).toBe(false);
  });

  it("counts a first state read before a commit and sent after it from that commit, as the receipts' countedFrom", () => {
    const late = run(hello(), snapshotWhen(4, 6));
    expect(late.state).toMatchObject({ sentVersion: 4, firstVersion: 6 });
    expect(late.effects).toContainEqual({ t: "receipt", event: { kind: "connected", instance: "i1", app: "a", sdk: "s/1", at: 20, version: 6 } });
    expect(connectedAtCommit(late.state, 5)).toBe(false);
    expect(connectedAtCommit(late.state, 6)).toBe(false);
    expect(connectedAtCommit(late.state, 7)).toBe(true);
    // A newest commit older than the state changes nothing, and neither does one after the first state.
    expect(run(hello(), snapshotWhen(4, 3)).state.firstVersion).toBe(4);
    const current = run(hello(2), { t: "loaded", loaded: { kind: "current", version: 2 }, at: 20, newest: 3 });
    expect(current.state).toMatchObject({ sentVersion: 2, appliedVersion: 2, firstVersion: 3 });
    const patched = run(hello(1), { t: "loaded", loaded: { kind: "patch", prev: 1, version: 2, frame: "{}" }, at: 20, newest: 5 });
    expect(patched.state).toMatchObject({ sentVersion: 2, firstVersion: 5 });
    expect(step(late.state, snapshotWhen(7, 9), limits).state.firstVersion).toBe(6);
  });

  it("takes a published change only when live and behind it, as the shared frame", () => {
    expect(run(hello(), { t: "published", version: 5 }).effects.filter((e) => e.t === "sendShared")).toEqual([]);
    const live = run(hello(), snapshot(4));
    expect(takesChange(live.state, 4)).toBe(false);
    const next = step(live.state, { t: "published", version: 5 }, limits);
    expect(next.effects).toEqual([{ t: "sendShared", version: 5 }]);
    expect(next.state.sentVersion).toBe(5);
  });

  it("applies the published step in place, for a fan-out, to the state step answers", () => {
    const live = run(hello(), snapshot(4)).state;
    const stepped = step(live, { t: "published", version: 7 }, limits).state;
    const own = { ...live };
    expect(publishedOnto(own, 7)).toBe(own);
    expect(own).toEqual(stepped);
    expect(live.sentVersion).toBe(4); // step left its input as it was
  });

  it("steps a client frame in place to the state and effects step answers, in every phase", () => {
    const phases = { open: run(), loading: run(hello()), live: run(hello(), snapshot(4)), closed: run(hello(), { t: "gone" }) };
    const frames = [
      { t: "hello", protocol: 1, sdk: "s/1", app: "a", instance: "i2", since: 3 },
      { t: "ack", v: 4 },
      { t: "ack", v: 9 },
      { t: "resync" },
      { t: "nonsense" },
    ];
    for (const [phase, { state }] of Object.entries(phases)) {
      for (const text of frames) {
        const frame = parseClientFrame(JSON.stringify(text));
        const stepped = step(state, { t: "frame", frame, at: 40 }, limits);
        const own = { ...state };
        const effects = frameOnto(own, frame, 40, limits);
        expect({ phase, text, state: own, effects }).toEqual({ phase, text, state: stepped.state, effects: stepped.effects });
      }
    }
    // Five resyncs at once: the bucket empties and the socket is closed the same way.
    const own = { ...phases.live.state };
    let stepped = phases.live.state;
    for (let i = 0; i < limits.resyncBurst + 1; i++) {
      const effects = frameOnto(own, { t: "resync" }, 50, limits);
      const next = step(stepped, { t: "frame", frame: { t: "resync" }, at: 50 }, limits);
      expect(effects).toEqual(next.effects);
      stepped = next.state;
    }
    expect(own).toEqual(stepped);
    expect(own.phase).toBe("closed");
  });

  it("never sends a snapshot older than what the socket was sent: it catches up instead", () => {
    const live = run(hello(), snapshot(4), { t: "published", version: 5 }, { t: "frame", frame: { t: "resync" }, at: 30 });
    const lagging = step(live.state, snapshot(4), limits);
    expect(lagging.effects).toEqual([{ t: "catchUp", from: 5 }]);
    expect(lagging.state.sentVersion).toBe(5);
  });

  it("answers 'you are current' with an hb and records it as applied", () => {
    const current = run(hello(3), { t: "loaded", loaded: { kind: "current", version: 3 }, at: 20 });
    expect(current.state).toMatchObject({ phase: "live", sentVersion: 3, firstVersion: 3, appliedVersion: 3, lastAckAt: 20 });
    expect(current.effects).toContainEqual({ t: "send", frame: JSON.stringify({ t: "hb", v: 3, serverTime: 20 }) });
    expect(current.effects).toContainEqual({ t: "receipt", event: { kind: "acked", instance: "i1", version: 3, previous: null, at: 20 } });
  });

  it("takes a resync while loading as already answered, and spends its allowance", () => {
    const again = run(hello(), { t: "frame", frame: { t: "resync" }, at: 11 });
    expect(again.effects.filter((e) => e.t === "load")).toHaveLength(1);
    expect(again.state.resyncTokens).toBe(limits.resyncBurst - 1);
  });

  it("closes past the allowance of resyncs with 1008", () => {
    const inputs: SessionInput[] = [hello(), snapshot(1)];
    for (let i = 0; i <= limits.resyncBurst; i++) inputs.push({ t: "frame", frame: { t: "resync" }, at: 30 });
    const flooded = run(...inputs);
    expect(flooded.state.phase).toBe("closed");
    expect(flooded.effects).toContainEqual({ t: "close", code: 1008, reason: expect.stringContaining("too many resync") });
  });

  it("closes a socket without hello past the deadline, and a silent one, on a tick", () => {
    expect(run({ t: "tick", at: limits.helloTimeoutMs }).effects[0]).toEqual({ t: "close", code: 1008, reason: `no hello within ${limits.helloTimeoutMs / 1000} s` });
    const silent = run(hello(), snapshot(1), { t: "tick", at: 10 + limits.silenceLimitMs });
    expect(silent.effects).toContainEqual({ t: "close", code: 1008, reason: expect.stringContaining("nothing heard") });
    // A runtime's own record of a ping counts as heard.
    const pinged = run(hello(), snapshot(1), { t: "tick", at: 10 + limits.silenceLimitMs, pingedAt: limits.silenceLimitMs });
    expect(pinged.state.phase).toBe("live");
  });

  it("closes with 1009 for a frame over the limit, 1011 for a failed load, and ends the receipt record when it closes", () => {
    expect(run({ t: "refused", why: "too big", at: 1 }).effects).toEqual([{ t: "close", code: 1009, reason: "frame too large" }]);
    expect(run(hello(), { t: "loadFailed" }).effects).toContainEqual({ t: "close", code: 1011, reason: "the server could not load this environment; reconnect" });
    expect(run(hello(), snapshot(1), { t: "gone" }).effects.at(-1)).toEqual({ t: "receipt", event: { kind: "disconnected", instance: "i1" } });
  });

  it("ignores every input once closed", () => {
    const closed = run({ t: "keyRevoked" });
    expect(closed.effects).toEqual([{ t: "close", code: 4001, reason: "key revoked" }]);
    expect(step(closed.state, hello(), limits)).toEqual({ state: closed.state, effects: [] });
  });

  it("takes every frame as heard, whatever it answers", () => {
    const frame = (text: string, at: number): SessionInput => ({ t: "frame", frame: parseClientFrame(text), at });
    expect(run(hello()).state.heardAt).toBe(10);
    expect(run(hello(), snapshot(4), frame('{"t":"ack","v":4}', 31)).state).toMatchObject({ heardAt: 31, lastAckAt: 31, appliedVersion: 4 });
    expect(run(hello(), snapshot(4), frame('{"t":"resync"}', 32)).state.heardAt).toBe(32);
    expect(run(hello(), snapshot(4), frame('{"t":"ack","v":9}', 33)).state).toMatchObject({ phase: "closed", heardAt: 33 });
    expect(run(frame("nonsense", 34)).state).toMatchObject({ phase: "closed", heardAt: 34 });
  });

  it("never changes the state it is given, so a host may copy each answer onto one object per socket", () => {
    const live = Object.freeze(run(hello(), snapshot(4)).state);
    const inputs: SessionInput[] = [
      { t: "ping", at: 30 },
      { t: "frame", frame: parseClientFrame('{"t":"ack","v":4}'), at: 31 },
      { t: "frame", frame: parseClientFrame('{"t":"resync"}'), at: 32 },
      { t: "published", version: 5 },
      { t: "tick", at: 33 },
      { t: "gone" },
    ];
    for (const input of inputs) expect(() => step(live, input, limits)).not.toThrow();

    // assignSession copies every field a session has (each set to a value of its own here).
    const source = { ...live } as unknown as Record<string, unknown>;
    for (const key of Object.keys(openSession("production", "k1", 0, limits))) source[key] = `${key}!`;
    const target = openSession("production", "k1", 0, limits);
    assignSession(target, source as unknown as SessionState);
    expect(target).toEqual(source);
  });

  it("keeps its state a plain value that survives JSON, as an attachment does", () => {
    const live = run(hello(), snapshot(4)).state;
    expect(JSON.parse(JSON.stringify(live))).toEqual(live);
  });
  it("resumes only within the client's epoch, and reads a snapshot for a hello ahead of the server or a new epoch", () => {
    expect(readPlan({ since: 3 }, { version: 3, epoch: "e1" })).toBe("current");
    expect(readPlan({ since: 3, epoch: "e1" }, { version: 5, epoch: "e1" })).toBe("changes");
    expect(readPlan({ since: 3, epoch: "e0" }, { version: 3, epoch: "e1" })).toBe("snapshot");
    expect(readPlan({ since: 7 }, { version: 5 })).toBe("snapshot");
    expect(readPlan({ since: undefined }, { version: 5 })).toBe("snapshot");
    expect(readPlan({ since: 5, replace: true }, { version: 5 })).toBe("snapshot");
    const withEpoch = step(openSession("production", "k1", 0, limits), { t: "frame", frame: parseClientFrame(JSON.stringify({ t: "hello", protocol: 1, sdk: "s/1", app: "a", instance: "i1", since: 2, epoch: "e1" })), at: 1 }, limits);
    expect(withEpoch.effects).toContainEqual({ t: "load", since: 2, epoch: "e1" });
  });

  it("announces the signing key after the first state, and again on a key reset while live", () => {
    const first = run(hello(), snapshot(1)).effects.map((e) => e.t);
    expect(first.indexOf("announce")).toBeGreaterThan(first.indexOf("send"));
    expect(run(hello(), snapshot(1), { t: "reset", cause: "key" }).effects.at(-1)).toEqual({ t: "announce" });
    // Still loading its first state: the announcement comes with it.
    expect(run(hello(), { t: "reset", cause: "key" }).effects).not.toContainEqual({ t: "announce" });
  });

  it("sends a new epoch's snapshot even below the version it sent, and only then", () => {
    const reset = run(hello(), snapshot(8), { t: "reset", cause: "epoch" });
    expect(reset.effects.at(-1)).toEqual({ t: "load", since: undefined, replace: true });
    const replaced = step(reset.state, snapshot(2, true), limits);
    expect(replaced.state.sentVersion).toBe(2);
    expect(replaced.effects[0]).toMatchObject({ t: "send" });
    // A lagging read of the old epoch is never sent.
    const lagging = step(reset.state, snapshot(2), limits);
    expect(lagging.state.sentVersion).toBe(8);
    expect(lagging.effects.filter((e) => e.t === "send")).toEqual([]);
    expect(run(hello(), { t: "reset", cause: "epoch" }).effects).not.toContainEqual(expect.objectContaining({ t: "load", replace: true }));
  });
});
