/**
 * A hostile or broken service against the real client, over real sockets: it rolls
 * versions back, sends versions that are no safe integers, half patches, patches whose
 * parts have the wrong type, garbage, never answers `hello`, and closes with every
 * code. In every case the block stays in force: `model.x` is killed (DISABLED) and
 * `model.fable-5` serves off to a foreign national, even to a caller whose default is
 * `true`. Timing (backoff, poll timeout, error chains) is in hostile-timing.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SnapshotStorage } from "../src/client/storage.js";
import { blockedForForeigners, foreignNationals } from "./support/flags.js";
import { client, closeClients, errors } from "./support/clients.js";
import { readCache, withCacheAt } from "./support/cache-text.js";
import { FakeServer, TEST_KEY, waitFor } from "./support/fake-server.js";
import {
  connectedClient,
  expectBlock,
  killed,
  lifted,
  liftedState,
  refusal,
  refusedFrame,
  resyncs,
  startBlockServer,
  stillApplies,
  us,
} from "./support/defended-block.js";

let server: FakeServer;

beforeEach(async () => {
  server = await startBlockServer();
});

afterEach(async () => {
  await closeClients();
  await server.close();
});

const snapshotFrame = (fields: Record<string, unknown>) =>
  JSON.stringify({ t: "snapshot", v: 6, env: "production", ...liftedState(6), serverTime: Date.now(), ...fields });
const patchFrame = (fields: Record<string, unknown>) =>
  JSON.stringify({ t: "patch", v: 6, prev: 5, flags: { "model.x": lifted(6) }, segments: {}, removed: { flags: [], segments: [] }, ...fields });

describe("versions only move forward", () => {
  it("refuses a snapshot older than its state (v5, then v3): an error and a resync, no ack, the block stays", async () => {
    const { c, conn, seen } = await connectedClient(server);
    server.broadcast(snapshotFrame({ v: 3, ...liftedState(3) }));
    await refusal(conn, seen);
    expect(seen[0]!.message).toMatch(/older/);
    expect(c.version).toBe(5);
    // The resync is answered with the service's snapshot of version 5, acked again: nothing else is.
    expect(server.acks(conn).filter((v) => v !== 5)).toEqual([]);
    expectBlock(c);
    await stillApplies(server, c, conn);
  });

  it.each<[string, unknown]>([
    ["a string", "10"],
    ["a huge number (1e308)", 1e308],
    ["a fraction", 5.5],
    ["a negative number", -1],
    ["missing", undefined],
    ["null", null],
  ])("refuses a snapshot whose version is %s, and applies the next real patch", async (_, v) => {
    const { c, conn } = await refusedFrame(server, snapshotFrame({ v }));
    await stillApplies(server, c, conn);
  });

  it.each<[string, Record<string, unknown>]>([
    ["a string version", { v: "6" }],
    ["a string prev", { prev: "5" }],
    ["a huge version (1e308)", { v: 1e308 }],
    ["a fractional version", { v: 5.5 }],
    ["a version that does not exceed prev", { v: 5, prev: 5 }],
    ["a version lower than the client's", { v: 4, prev: 3 }],
  ])("refuses a patch with %s", async (_, fields) => {
    const { c, conn } = await refusedFrame(server, patchFrame(fields));
    await stillApplies(server, c, conn);
  });

  it("acks versions as numbers only", async () => {
    const { c, conn } = await connectedClient(server);
    await stillApplies(server, c, conn);
    for (const m of conn.received) if (typeof m === "object" && m.t === "ack") expect(typeof m.v).toBe("number");
  });
});

describe("epochs", () => {
  it("a new epoch starts versions over; within it, an older snapshot is refused again", async () => {
    server.epoch = "e1";
    const { c, conn, seen } = await connectedClient(server);
    // The environment restored from a backup: a new epoch, at version 3, the block still in it.
    server.epoch = "e2";
    server.version = 3;
    server.broadcast(server.snapshot());
    await waitFor(() => c.version === 3, "version 3 of the new epoch");
    expect(seen).toEqual([]);
    expectBlock(c);
    server.broadcast(snapshotFrame({ v: 2, epoch: "e2", ...liftedState(2) }));
    await refusal(conn, seen);
    expect(c.version).toBe(3);
    expectBlock(c);
  });

  it("refuses a patch of another epoch, even one that follows the version held", async () => {
    server.epoch = "e1";
    const { c, conn, seen } = await connectedClient(server);
    server.broadcast(patchFrame({ epoch: "e2" }));
    await refusal(conn, seen);
    expect(seen[0]!.message).toMatch(/e2v6 is older/);
    expect(c.version).toBe(5);
    expect(server.acks(conn).filter((v) => v !== 5)).toEqual([]);
    expectBlock(c);
    await stillApplies(server, c, conn);
  });

  it("refuses a snapshot of an older epoch, however high its version", async () => {
    server.epoch = "e2";
    const { c, conn, seen } = await connectedClient(server);
    server.broadcast(snapshotFrame({ v: 9, epoch: "e1", ...liftedState(9) }));
    await refusal(conn, seen);
    expect(seen[0]!.message).toMatch(/e1v9 is older/);
    expect(c.version).toBe(5);
    expect(server.acks(conn).filter((v) => v !== 5)).toEqual([]);
    expectBlock(c);
  });

  it("takes a missing epoch as the same as the previous missing one", async () => {
    const { c, conn, seen } = await connectedClient(server);
    server.broadcast(snapshotFrame({ v: 4, ...liftedState(4) }));
    await refusal(conn, seen);
    expect(c.version).toBe(5);
    expectBlock(c);
  });
});

describe("a patch is applied whole or not at all", () => {
  const hostileSegment = { "foreign-nationals": { ...foreignNationals(6), rules: [] } };
  it.each<[string, Record<string, unknown>]>([
    ["segments but no flags", { flags: undefined, segments: hostileSegment }],
    ['flags: "abc"', { flags: "abc" }],
    ["flags that are a list", { flags: [lifted(6)] }],
    ["segments that are null", { segments: null }],
    ["no removed", { removed: undefined }],
    ["removed flags that are a string", { flags: {}, removed: { flags: "model.x", segments: [] } }],
    ["removed segments that are a number", { segments: hostileSegment, removed: { flags: [], segments: 5 } }],
    ["a removed list holding a non-string", { flags: {}, removed: { flags: [{}], segments: [] } }],
  ])("refuses a patch with %s, changes nothing, and keeps applying what follows", async (_, fields) => {
    const { c, conn } = await refusedFrame(server, patchFrame(fields));
    // The flag that names the segment is recompiled by the next patch: against the real segment.
    server.change({ flags: { "model.fable-5": blockedForForeigners() } });
    await waitFor(() => server.acks(conn).includes(6), "ack 6");
    expectBlock(c);
    expect(c.evaluate("0", us, true).errorCode).toBe("FLAG_NOT_FOUND");
  });
});

describe("garbage frames", () => {
  it.each<[string, string]>([
    ["not JSON", "{not json"],
    ["JSON null", "null"],
    ["a number", "5"],
    ["a list", "[]"],
    ["an unknown type", JSON.stringify({ t: "surprise", v: 6 })],
    ["a bare snapshot type", JSON.stringify({ t: "snapshot" })],
    ["a snapshot whose flags are null", snapshotFrame({ flags: null, segments: null })],
    ["a snapshot without env", snapshotFrame({ env: undefined })],
    ["a snapshot whose epoch is a number", snapshotFrame({ epoch: 7 })],
    ["a heartbeat with a string version", JSON.stringify({ t: "hb", v: "9", serverTime: 1 })],
  ])("refuses %s: an error and a resync, and the block stays", async (_, frame) => {
    const { c, conn } = await refusedFrame(server, frame);
    await stillApplies(server, c, conn);
  });

  it("ignores fields it does not know, such as an audit reference", async () => {
    const { c, conn, seen } = await connectedClient(server);
    server.broadcast(
      JSON.stringify({ ...server.snapshot(), v: 6, epoch: undefined, audit: { seq: 9, hash: "ab" }, future: [1] }),
    );
    await waitFor(() => server.acks(conn).includes(6), "ack 6");
    server.version = 6;
    const p = server.change({ flags: { "model.y": killed(0) } }, false);
    server.broadcast(JSON.stringify({ ...p, audit: { seq: 10, hash: "cd" } }));
    await waitFor(() => c.version === 7, "version 7");
    expect(seen).toEqual([]);
    expectBlock(c);
  });
});

describe("each close code", () => {
  it.each([1000, 1001, 1008, 1009, 1011, 4000, 4999, "a drop"])(
    "after a close (%s), an older snapshot on the next stream is refused and the block stays",
    async (code) => {
      const { c, seen } = await connectedClient(server);
      // The service comes back restored from an older backup, in the same epoch.
      server.version = 3;
      Object.assign(server, liftedState(3));
      server.resume = false;
      if (code === "a drop") server.drop();
      else server.closeAll(code as number);
      await waitFor(() => server.connections.length === 2 && resyncs(server.connections[1]!) > 0, "a refusal on the second stream");
      expect(seen.some((e) => /older/.test(e.message))).toBe(true);
      expect(server.connections[1]!.hello?.since).toBe(5);
      expect(server.acks(server.connections[1]!)).toEqual([]);
      expect(c.version).toBe(5);
      expectBlock(c);
    },
  );

  it("after 4001 (key revoked) it stops reconnecting and keeps the block from memory", async () => {
    const { c, seen } = await connectedClient(server);
    server.closeAll(4001);
    await waitFor(() => seen.some((e) => /refused/.test(e.message)), "the refusal");
    expect(server.connections).toHaveLength(1);
    expect(c.version).toBe(5);
    expectBlock(c);
  });
});

describe("the snapshot poll", () => {
  // The stream refused at every upgrade: the client lives on GET /v1/snapshot alone.
  it.each<[string, unknown]>([
    ["an older version (v3, the block lifted)", 3],
    ['a string version ("10")', "10"],
    ["a huge version (1e308)", 1e308],
  ])("refuses a polled snapshot with %s, and applies the next real one", async (_, version) => {
    server.refuseUpgrades = true;
    const c = client({ url: server.url, sdkKey: TEST_KEY, reconnectDelayMs: 20 });
    expect(await c.ready()).toBe("ready");
    expect(c.version).toBe(5);
    const seen = errors(c);
    const polled = server.polls.length;
    // The body's version is what the client compares; the ETag changes with it, so no 304 hides it.
    Object.assign(server, liftedState(3), { version });
    // Every failed upgrade is an error too: the poll's refusal is the one that names the version.
    const refusal = version === 3 ? /older/ : /invalid v/;
    await waitFor(() => server.polls.slice(polled).some((p) => p.status === 200) && seen.some((e) => refusal.test(e.message)), "a refused poll");
    expect(c.version).toBe(5);
    expectBlock(c);
    // The service sound again, a version ahead: the next poll is applied.
    Object.assign(server, { version: 6, flags: { "model.x": killed(6), "model.fable-5": blockedForForeigners(6) }, segments: { "foreign-nationals": foreignNationals(6) } });
    await waitFor(() => c.version === 6, "version 6 from a poll");
    expectBlock(c);
  });
});

describe("no answer to hello", () => {
  it("keeps a cached block in force when the stream opens but hello is never answered", async () => {
    const data = new Map<string, string>();
    const cache: SnapshotStorage = { get: (k) => data.get(k), set: (k, v) => void data.set(k, v) };
    const first = await connectedClient(server, { cache });
    await first.c.close();
    server.ignoreHello = true;
    Object.assign(server, liftedState(6));
    const c = client({ url: server.url, sdkKey: TEST_KEY, cache, reconnectDelayMs: 20 });
    expect(await c.ready({ timeoutMs: 300 })).toBe("cached");
    expect(server.connections.at(-1)!.hello?.since).toBeUndefined();
    expect(c.version).toBe(5);
    expectBlock(c);
  });

  it("serves the callers' defaults, never the service's old answers, when nothing was ever received", async () => {
    server.ignoreHello = true;
    const c = client({ url: server.url, sdkKey: TEST_KEY });
    expect(await c.ready({ timeoutMs: 200 })).toBe("defaults");
    expect(c.isEnabled("model.x", us, false)).toBe(false);
  });
});

describe("the persisted cache", () => {
  const memory = () => {
    const data = new Map<string, string>();
    return { data, get: (k: string) => data.get(k), set: (k: string, v: string) => void data.set(k, v) };
  };

  it("keeps the high-water mark: after a restart, an older snapshot from the service is refused", async () => {
    const cache = memory();
    server.epoch = "e1";
    const first = await connectedClient(server, { cache });
    await first.c.close();
    expect(readCache([...cache.data.values()][0]!).frames[0]).toMatchObject({ v: 5, epoch: "e1" });
    // Restored from an older backup without a new epoch: a rollback.
    server.version = 3;
    Object.assign(server, liftedState(3));
    server.resume = false;
    const c = client({ url: server.url, sdkKey: TEST_KEY, cache, reconnectDelayMs: 20 });
    const seen = errors(c);
    expect(await c.ready({ timeoutMs: 500 })).toBe("cached");
    await waitFor(() => seen.some((e) => /older/.test(e.message)), "the refusal");
    expect(c.version).toBe(5);
    expectBlock(c);
  });

  /** A client started while the service is down, from the cache the first client wrote, its `at` replaced. */
  const coldStartWithAt = async (at: unknown) => {
    const cache = memory();
    const first = await connectedClient(server, { cache });
    await first.c.close();
    const [key, raw] = [...cache.data][0]!;
    cache.data.set(key, withCacheAt(raw, at));
    await server.stop();
    const c = client({ url: server.url, sdkKey: TEST_KEY, cache, reconnectDelayMs: 20 });
    return { c, seen: errors(c) };
  };

  it("serves a fail-closed flag off (STALE) from a cache written in the future", async () => {
    const { c } = await coldStartWithAt(Date.now() + 3_600_000);
    expect(await c.ready({ timeoutMs: 200 })).toBe("cached");
    expect(c.evaluate("model.fable-5", us, true)).toMatchObject({ value: false, variant: "off", reason: "STALE" });
  });

  it("takes a cache written within a small clock skew as received now", async () => {
    const { c } = await coldStartWithAt(Date.now() + 2_000);
    expect(await c.ready({ timeoutMs: 200 })).toBe("cached");
    expect(c.evaluate("model.fable-5", us, false)).toMatchObject({ value: true, reason: "DEFAULT" });
  });

  it.each<[string, unknown]>([
    ["a string", "x"],
    ["missing", undefined],
    ["null", null],
  ])("does not use a cache whose time is %s", async (_, at) => {
    const { c, seen } = await coldStartWithAt(at);
    expect(await c.ready({ timeoutMs: 200 })).toBe("defaults");
    expect(seen.some((e) => /\bat\b/.test(e.message))).toBe(true);
    expect(c.isEnabled("model.x", us, false)).toBe(false);
  });
});

describe("the snapshot poll's answers", () => {
  /** A fetch that never answers until its signal aborts; counts its calls. */
  const hanging = () => {
    const calls: AbortSignal[] = [];
    const fetch = (_url: string | URL | Request, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        const signal = init!.signal!;
        calls.push(signal);
        signal.addEventListener("abort", () => reject(signal.reason));
      });
    return { fetch: fetch as typeof globalThis.fetch, calls };
  };

  it("never applies the body of an answer that is not 2xx, and names its status", async () => {
    server.refuseUpgrades = true;
    // A valid snapshot, but in a 500: a proxy's or a failing service's answer is no state.
    const body = JSON.stringify({ version: 6, env: "production", flags: { "model.x": killed(6) }, segments: {} });
    const fetch = (async () => new Response(body, { status: 500 })) as typeof globalThis.fetch;
    const c = client({ url: server.url, sdkKey: TEST_KEY, reconnectDelayMs: 20, fetch });
    const seen = errors(c);
    await waitFor(() => seen.some((e) => /snapshot/.test(e.message)) || c.version === 6, "the poll's outcome");
    expect(seen.map((e) => e.message)).toContain("killswitch: GET /v1/snapshot 500");
    expect(c.version).not.toBe(6);
    // Not applied: the caller's default, where version 6 would serve the kill.
    expect(c.evaluate("model.x", us, true)).toMatchObject({ value: true, reason: "ERROR" });
  });

  it("takes a 304 as the service confirming the state held: no error, nothing read", async () => {
    server.refuseUpgrades = true;
    const c = client({ url: server.url, sdkKey: TEST_KEY, reconnectDelayMs: 20 });
    const seen = errors(c);
    expect(await c.ready()).toBe("ready");
    await waitFor(() => server.polls.filter((p) => p.status === 304).length >= 2, "two 304s");
    expect(seen.filter((e) => /snapshot/.test(e.message))).toEqual([]);
    expect(c.version).toBe(5);
    expectBlock(c);
  });

  it("polls one at a time: a poll that hangs is not joined by another at each failed upgrade", async () => {
    server.refuseUpgrades = true;
    const { fetch, calls } = hanging();
    client({ url: server.url, sdkKey: TEST_KEY, reconnectDelayMs: 10, pollTimeoutMs: 60_000, fetch });
    await waitFor(() => server.attempts.length >= 4, "four refused upgrades");
    expect(calls).toHaveLength(1);
  });

  it("reports no error for the poll that close() aborts", async () => {
    server.refuseUpgrades = true;
    const { fetch, calls } = hanging();
    const c = client({ url: server.url, sdkKey: TEST_KEY, reconnectDelayMs: 60_000, pollTimeoutMs: 60_000, fetch });
    const seen = errors(c);
    await waitFor(() => calls.length === 1, "a poll in flight");
    const before = seen.length;
    await c.close();
    expect(calls[0]!.aborted).toBe(true);
    // The aborted fetch rejects at once; its handler has run by the next turn of the loop.
    await new Promise((r) => setTimeout(r, 0));
    expect(seen.slice(before)).toEqual([]);
  });
});

describe("ready() for a refused key", () => {
  it("answers defaults as soon as the key is refused, naming the refusal and not a timeout", async () => {
    const c = client({ url: server.url, sdkKey: `${TEST_KEY}x`, reconnectDelayMs: 20 });
    const seen = errors(c);
    // Well before the time runs out: the refusal settles it.
    expect(await c.ready({ timeoutMs: 60_000 })).toBe("defaults");
    const messages = seen.map((e) => e.message);
    expect(messages).toContain("killswitch: sdk key refused");
    expect(messages.filter((m) => /no snapshot in/.test(m))).toEqual([]);
  });
});
