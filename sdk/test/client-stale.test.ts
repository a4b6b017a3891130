import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { webStorage, type SnapshotStorage } from "../src/client/storage.js";
import { boolFlag, blockedForForeigners, foreignNationals } from "./support/flags.js";
import { client, closeClients, errors } from "./support/clients.js";
import { readCache, withCacheAt } from "./support/cache-text.js";
import { FakeServer, TEST_KEY, nextEvent, waitFor } from "./support/fake-server.js";
import { resyncs } from "./support/defended-block.js";
import { murmur3 } from "../src/evaluator/hash.js";

let server: FakeServer;
let dir: string;

// Short limits through the flags' own staleAfterMs: the semantics are the same at any scale.
const closedFlag = (staleAfterMs: number) => ({ ...blockedForForeigners(), staleAfterMs });
const openFlag = (staleAfterMs: number) => boolFlag("model.sonnet", { failMode: "open", staleAfterMs });

const memory = (): SnapshotStorage & { data: Map<string, string> } => {
  const data = new Map<string, string>();
  return { data, get: (k) => data.get(k) ?? null, set: (k, v) => void data.set(k, v) };
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ks-sdk-"));
});

afterEach(async () => {
  await closeClients();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe("staleness", () => {
  it("serves a fail-closed flag off (STALE) and a fail-open flag from cache (CACHED) once nothing is heard; recovers when heard again", async () => {
    server = await FakeServer.start({ flags: [closedFlag(400), openFlag(400)], segments: [foreignNationals()] });
    const c = client({ url: server.url, sdkKey: TEST_KEY, reconnectDelayMs: 20 });
    await c.ready();
    const us = { key: "u1", nationality: "US" };
    expect(c.evaluate("model.fable-5", us, false)).toMatchObject({ value: true, reason: "DEFAULT" });

    const stale = nextEvent(c, "stale");
    await server.stop();
    await stale;
    expect(c.evaluate("model.fable-5", us, true)).toMatchObject({ value: false, variant: "off", reason: "STALE" });
    expect(c.evaluate("model.sonnet", us, false)).toMatchObject({ value: true, reason: "CACHED" });

    const ready = nextEvent(c, "ready");
    await server.restart();
    await ready;
    expect(c.evaluate("model.fable-5", us, false)).toMatchObject({ value: true, reason: "DEFAULT" });
    expect(c.evaluate("model.sonnet", us, false)).toMatchObject({ value: true, reason: expect.not.stringMatching(/CACHED|STALE/) });
  });

  it("drops a socket that stays silent for three ping intervals, without a closing handshake, and reconnects", async () => {
    server = await FakeServer.start({ flags: [closedFlag(300)], segments: [foreignNationals()] });
    const c = client({ url: server.url, sdkKey: TEST_KEY, reconnectDelayMs: 20 });
    const seen = errors(c);
    await c.ready();
    const code = new Promise<number>((r) => server.connections[0]!.ws.on("close", r));
    server.mute = true;
    await waitFor(() => server.connections.length >= 2, "a second connection");
    expect(seen.some((e) => /no frame for 300 ms/.test(e.message))).toBe(true);
    // Terminated, not closed with a handshake that a peer gone silent would never answer (1006: no close frame).
    expect(await code).toBe(1006);
    await waitFor(() => server.connections[0]!.ws.readyState === server.connections[0]!.ws.CLOSED, "the silent socket closed");
    server.mute = false;
    await nextEvent(c, "ready");
    expect(c.evaluate("model.fable-5", { nationality: "US" }, false).reason).toBe("DEFAULT");
  });
});

describe("last known good", () => {
  it("persists the snapshot to a file and serves it (cached) when the service is down at the next start", async () => {
    server = await FakeServer.start({ flags: [blockedForForeigners()], segments: [foreignNationals()] });
    const path = join(dir, "killswitch.json");
    const first = client({ url: server.url, sdkKey: TEST_KEY, cache: path });
    await first.ready();
    server.change({ flags: { "model.sonnet": boolFlag("model.sonnet") } });
    await waitFor(() => first.version === 2, "version 2");
    await first.close();
    const written = readCache(await readFile(path, "utf8"));
    expect(written.frames[0]).toMatchObject({ t: "snapshot", v: 1, env: "production" });
    expect(written.frames.at(-1)).toMatchObject({ t: "patch", v: 2, prev: 1 });

    await server.stop();
    const second = client({ url: server.url, sdkKey: TEST_KEY, cache: { path }, reconnectDelayMs: 20 });
    expect(await second.ready({ timeoutMs: 300 })).toBe("cached");
    expect(second.version).toBe(2);
    expect(second.isEnabled("model.fable-5", { key: "u1", nationality: "US" }, false)).toBe(true);
    expect(second.isEnabled("model.fable-5", { key: "u2", nationality: "FR" }, true)).toBe(false);
    expect(second.isEnabled("model.sonnet", {}, false)).toBe(true);
  });

  it("counts a persisted snapshot from when it was received: an old one serves fail-closed flags off at a cold start", async () => {
    server = await FakeServer.start({ flags: [closedFlag(60_000), openFlag(60_000)], segments: [foreignNationals()] });
    const storage = memory();
    const first = client({ url: server.url, sdkKey: TEST_KEY, cache: storage });
    await first.ready();
    await first.close();
    const [key, raw] = [...storage.data][0]!;
    expect(key).not.toContain(TEST_KEY);
    expect(raw).not.toContain(TEST_KEY);
    // The same snapshot, received ten minutes ago.
    storage.data.set(key, withCacheAt(raw, Date.now() - 600_000));

    await server.stop();
    const second = client({ url: server.url, sdkKey: TEST_KEY, cache: storage, reconnectDelayMs: 20 });
    const stale = nextEvent(second, "stale");
    expect(await second.ready({ timeoutMs: 300 })).toBe("cached");
    await stale;
    expect(second.evaluate("model.fable-5", { key: "u1", nationality: "US" }, true)).toMatchObject({ value: false, reason: "STALE" });
    expect(second.evaluate("model.sonnet", { key: "u1" }, false)).toMatchObject({ value: true, reason: "CACHED" });

    // A fresh snapshot makes it current again (that a pong alone does not is in client-clock.test.ts);
    // data from a cache is never resumed from (no since).
    const ready = nextEvent(second, "ready");
    await server.restart();
    await ready;
    expect(await second.ready()).toBe("ready");
    expect(second.evaluate("model.fable-5", { key: "u1", nationality: "US" }, false)).toMatchObject({ value: true, reason: "DEFAULT" });
    expect(server.connections.at(-1)!.hello?.since).toBeUndefined();
  });

  it("persists through a Web Storage object (localStorage) with webStorage()", async () => {
    server = await FakeServer.start({ flags: [blockedForForeigners()], segments: [foreignNationals()] });
    const items = new Map<string, string>();
    const localStorage = { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v) };
    const first = client({ url: server.url, sdkKey: TEST_KEY, cache: webStorage(localStorage) });
    await first.ready();
    await first.close();
    expect([...items.keys()]).toEqual([expect.stringMatching(/^killswitch:[0-9a-z]+$/)]);
    await server.stop();
    const second = client({ url: server.url, sdkKey: TEST_KEY, cache: webStorage(localStorage), reconnectDelayMs: 20 });
    expect(await second.ready({ timeoutMs: 200 })).toBe("cached");
    expect(second.isEnabled("model.fable-5", { nationality: "US" }, false)).toBe(true);
  });

  it("ignores a persisted snapshot of another key", async () => {
    server = await FakeServer.start({ flags: [blockedForForeigners()], segments: [foreignNationals()] });
    const path = join(dir, "killswitch.json");
    const first = client({ url: server.url, sdkKey: TEST_KEY, cache: path });
    await first.ready();
    await first.close();
    await server.stop();
    const other = client({ url: server.url, sdkKey: `${TEST_KEY}x`, cache: path, reconnectDelayMs: 20 });
    expect(await other.ready({ timeoutMs: 200 })).toBe("defaults");
  });

  it("starts from an empty cache without an error", async () => {
    server = await FakeServer.start({ flags: [blockedForForeigners()], segments: [foreignNationals()] });
    const c = client({ url: server.url, sdkKey: TEST_KEY, cache: memory() });
    const seen = errors(c);
    expect(await c.ready()).toBe("ready");
    expect(seen).toEqual([]);
  });

  it("reports an unreadable cache on the error event and still starts", async () => {
    server = await FakeServer.start({ flags: [blockedForForeigners()], segments: [foreignNationals()] });
    const c = client({
      url: server.url,
      sdkKey: TEST_KEY,
      cache: { get: () => "{not json", set: () => undefined },
    });
    const seen = errors(c);
    expect(await c.ready()).toBe("ready");
    expect(seen.some((e) => e instanceof SyntaxError)).toBe(true);
  });
});

/**
 * The cache replays the snapshot and the patches since: the client asks for a fresh
 * snapshot once the patches outweigh it, and only for what the service sent. What it
 * reads from the cache is the service's no more: never acked, written back or resynced,
 * even when a socket is already open while it reads.
 */
describe("the cache's bookkeeping", () => {
  const emptyPatch = (v: number) => ({ t: "patch", v, prev: v - 1, flags: {}, segments: {}, removed: { flags: [], segments: [] } });

  it("asks for a fresh snapshot once the patches' bytes exceed the snapshot's, not while they only equal them", async () => {
    server = await FakeServer.start({ flags: [blockedForForeigners()], segments: [foreignNationals()] });
    const storage = memory();
    const c = client({ url: server.url, sdkKey: TEST_KEY, cache: storage });
    expect(await c.ready()).toBe("ready");
    const conn = server.connections[0]!;
    await waitFor(() => server.acks(conn).includes(1) && storage.data.size === 1, "ack 1 and the cache written");
    const snapshotBytes = readCache([...storage.data.values()][0]!).lines[0]!.length;
    // A patch that changes nothing, padded (a field the protocol does not define) to the snapshot's bytes exactly.
    const p = emptyPatch(2);
    const frame = JSON.stringify({ ...p, pad: "x".repeat(snapshotBytes - JSON.stringify({ ...p, pad: "" }).length) });
    expect(frame.length).toBe(snapshotBytes);
    server.version = 2;
    server.log.push(p as never);
    server.broadcast(frame);
    // A resync would have been sent before the ack, on the same socket.
    await waitFor(() => server.acks(conn).includes(2), "ack 2");
    expect(resyncs(conn)).toBe(0);
    // The next patch makes them outweigh it.
    server.change({ flags: { "model.sonnet": boolFlag("model.sonnet") } });
    await waitFor(() => resyncs(conn) === 1 && c.version === 3, "a resync, and version 3");
    await waitFor(() => readCache([...storage.data.values()][0]!).frames.map((f) => f.t).join() === "snapshot", "a cache of the fresh snapshot alone");
  });

  it("reads its cache while a socket is already open without acking, writing back or resyncing any of it", async () => {
    server = await FakeServer.start({ flags: [blockedForForeigners(5)], segments: [foreignNationals(5)] });
    server.version = 5;
    // Versions 3 and 4, whose patch outweighs the snapshot: from the service, that would ask for a fresh one.
    const snapshot = JSON.stringify({ t: "snapshot", v: 3, env: "production", flags: { "model.x": boolFlag("model.x", { version: 3 }) }, segments: {} });
    const patch = JSON.stringify({ ...emptyPatch(4), pad: "x".repeat(snapshot.length) });
    const text = [JSON.stringify({ k: murmur3(TEST_KEY).toString(36), at: Date.now() }), snapshot, patch].join("\n");
    // The cache answers only once the socket is open and has said hello.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const written: string[] = [];
    const storage: SnapshotStorage = {
      get: async () => {
        await gate;
        return text;
      },
      set: (_, v) => void written.push(v),
    };
    const c = client({ url: server.url, sdkKey: TEST_KEY, cache: storage });
    const seen = errors(c);
    const versions: number[] = [];
    c.on("change", (e) => versions.push(e.version));
    await waitFor(() => server.connections[0]?.hello !== undefined, "the hello");
    release();
    expect(await c.ready()).toBe("ready");
    const conn = server.connections[0]!;
    await waitFor(() => server.acks(conn).includes(5) && written.length > 0, "ack 5 and the cache written");
    // The cache was applied first, then the service's snapshot.
    expect(versions).toEqual([3, 4, 5]);
    expect(server.acks(conn)).toEqual([5]);
    expect(resyncs(conn)).toBe(0);
    expect(written.map((w) => readCache(w).frames.map((f) => f.v))).toEqual(written.map(() => [5]));
    expect(seen).toEqual([]);
  });
});
