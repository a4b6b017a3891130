/**
 * Signed state against the real client, over real sockets: a client given the
 * environment's public key applies only what that key (or a key it announced) signed
 * for its tenant, environment and epoch. A tampered byte, a replayed older snapshot,
 * another environment's or tenant's frame, an unsigned frame, a rollback to an older
 * epoch and an edited cache are all refused, and the block stays in force: `model.x` is
 * killed (DISABLED) and `model.fable-5` serves off to a foreign national, even to a
 * caller whose default is `true`.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ClientOptions } from "../src/client.js";
import type { SnapshotStorage } from "../src/client/storage.js";
import { blockedForForeigners, boolFlag, foreignNationals } from "./support/flags.js";
import { client, closeClients, errors } from "./support/clients.js";
import { readCache } from "./support/cache-text.js";
import { FakeServer, TEST_KEY, signedText, signingKey, type TestSigningKey, waitFor } from "./support/fake-server.js";
import { connectedClient, expectBlock, killed, lifted, liftedState, refusedFrame, resyncs, startBlockServer, stillApplies, us } from "./support/defended-block.js";

let server: FakeServer;
let key: TestSigningKey;

beforeEach(async () => {
  server = await startBlockServer();
  server.epoch = "000000000001aaaaaaaaaaaa";
  key = signingKey();
  server.signers = [key];
});

afterEach(async () => {
  await closeClients();
  await server.close();
});

const memory = () => {
  const data = new Map<string, string>();
  return { data, get: (k: string) => data.get(k), set: (k: string, v: string) => void data.set(k, v) } satisfies SnapshotStorage & { data: Map<string, string> };
};

/** A client pinned to `key` that holds version 5 (the block), on its first connection. */
const connected = (options: Partial<ClientOptions> = {}) => connectedClient(server, { publicKey: key.publicKey, ...options });

/** Sends `frame` to a pinned client holding version 5: refused (an error, a resync, no other ack), the block stays. */
const refused = (frame: string) => refusedFrame(server, frame, { publicKey: key.publicKey });

const liftPatch = (fields: Record<string, unknown> = {}) => ({
  t: "patch" as const,
  v: 6,
  prev: 5,
  env: server.env,
  epoch: server.epoch,
  tenant: server.tenant,
  flags: { "model.x": lifted(6) },
  segments: {},
  removed: { flags: [], segments: [] },
  ...fields,
});

describe("a pinned client", () => {
  it("applies and acks what its key signed, and verifies every frame", async () => {
    const { c, conn, seen } = await connected();
    await stillApplies(server, c, conn);
    expect(seen).toEqual([]);
  });

  it("refuses a signed patch with its bytes changed (the kill lifted, the length kept)", async () => {
    const frame = signedText(liftPatch({ flags: { "model.x": killed(6) } }), [key]);
    const tampered = frame.replace('"enabled":false', '"enabled":true ');
    expect(tampered).not.toBe(frame);
    expect(tampered.length).toBe(frame.length);
    const { c, conn, seen } = await refused(tampered);
    expect(seen[0]!.message).toBe("invalid sig");
    await stillApplies(server, c, conn);
  });

  it("refuses a signed patch whose signature has one bit flipped", async () => {
    const frame = signedText(liftPatch(), [key]);
    const sig = frame.slice(frame.indexOf(":", frame.indexOf('"sig":{') + 8) + 2, frame.indexOf("}") - 1);
    expect(sig).toMatch(/^[A-Za-z0-9_-]{86}$/);
    const flipped = sig.slice(0, 10) + (sig[10] === "A" ? "B" : "A") + sig.slice(11);
    const { c, conn } = await refused(frame.replace(sig, flipped));
    await stillApplies(server, c, conn);
  });

  it("refuses a replayed older snapshot that its own key signed", async () => {
    // Captured when version 3 was current: the block not yet in it.
    const old = server.text({ t: "snapshot", v: 3, env: "production", epoch: server.epoch, ...liftedState(3), serverTime: Date.now() });
    const { c, conn, seen } = await refused(old);
    expect(seen[0]!.message).toMatch(/older/);
    await stillApplies(server, c, conn);
  });

  it("refuses a frame signed with another environment's key", async () => {
    const staging = signingKey();
    const { c, conn } = await refused(signedText(liftPatch(), [staging]));
    await stillApplies(server, c, conn);
  });

  it("refuses a frame its key signed for another environment, or for another tenant", async () => {
    const { c, conn, seen } = await connected();
    server.broadcast(signedText(liftPatch({ env: "staging" }), [key]));
    await waitFor(() => seen.length === 1 && resyncs(conn) === 1, "the first refusal");
    server.broadcast(signedText(liftPatch({ tenant: "othertenan" }), [key]));
    await waitFor(() => seen.length === 2, "the second refusal");
    expect(seen.map((e) => e.message)).toEqual(["invalid sig", "invalid sig"]);
    expect(c.version).toBe(5);
    expectBlock(c);
  });

  it.each<[string, () => string]>([
    ["an unsigned patch", () => JSON.stringify(liftPatch())],
    ["an unsigned snapshot", () => JSON.stringify({ t: "snapshot", v: 6, env: "production", epoch: server.epoch, tenant: server.tenant, ...liftedState(6), serverTime: 1 })],
    ["a patch with an empty sig", () => `{"sig":{},${JSON.stringify(liftPatch()).slice(1)}`],
    ["a patch whose sig is not an object", () => `{"sig":"x",${JSON.stringify(liftPatch()).slice(1)}`],
    ["a signed patch followed by more members", () => signedText(liftPatch(), [key]).slice(0, -1) + ',"flags":{}}'],
    ["an unsigned heartbeat announcing a key", () => JSON.stringify({ t: "hb", v: 0, serverTime: 1, key: signingKey().publicKey, n: 9 })],
  ])("refuses %s", async (_, frame) => {
    const { c, conn } = await refused(frame());
    await stillApplies(server, c, conn);
  });

  it("takes an unsigned heartbeat, which changes nothing, and resyncs when it is ahead", async () => {
    const { c, conn, seen } = await connected();
    server.broadcast(JSON.stringify({ t: "hb", v: 9, serverTime: 1 }));
    await waitFor(() => resyncs(conn) === 1, "a resync");
    expect(seen).toEqual([]);
    expect(c.version).toBe(5);
  });

  it("lets only a signed snapshot change the epoch, and never back to an older one", async () => {
    const { c, conn, seen } = await connected();
    // Restored from a backup: a newer epoch at a lower version, the block still in it, signed.
    server.epoch = "000000000002bbbbbbbbbbbb";
    server.version = 3;
    server.flags = { "model.x": killed(3), "model.fable-5": blockedForForeigners(3) };
    server.segments = { "foreign-nationals": foreignNationals(3) };
    server.broadcast(server.snapshot());
    await waitFor(() => c.version === 3, "version 3 of the new epoch");
    expect(seen).toEqual([]);
    expectBlock(c);
    // The old epoch's v5 snapshot replayed (genuinely signed then): refused.
    const replay = server.text({ t: "snapshot", v: 5, env: "production", epoch: "000000000001aaaaaaaaaaaa", ...liftedState(5), serverTime: 1 });
    server.broadcast(replay);
    await waitFor(() => seen.length === 1, "the refusal of the old epoch");
    expect(seen[0]!.message).toMatch(/older/);
    // A newer epoch, unsigned: refused.
    server.broadcast(JSON.stringify({ t: "snapshot", v: 1, env: "production", epoch: "000000000003cccccccccccc", tenant: server.tenant, ...liftedState(1), serverTime: 1 }));
    await waitFor(() => seen.length === 2, "the refusal of the unsigned epoch");
    // A patch of the old epoch that would follow: refused.
    server.broadcast(signedText(liftPatch({ v: 4, prev: 3, epoch: "000000000001aaaaaaaaaaaa" }), [key]));
    await waitFor(() => seen.length === 3, "the refusal of the old epoch's patch");
    expect(c.version).toBe(3);
    expectBlock(c);
    expect(resyncs(conn)).toBeGreaterThan(0);
  });

  it("verifies a polled snapshot too, and refuses an edited one", async () => {
    server.refuseUpgrades = true;
    const c = client({ url: server.url, sdkKey: TEST_KEY, reconnectDelayMs: 20, publicKey: key.publicKey });
    expect(await c.ready()).toBe("ready");
    expect(c.version).toBe(5);
    expectBlock(c);
    const seen = errors(c);
    // A relay now edits the body: the kill lifted.
    server.signers = [];
    Object.assign(server, { version: 6, ...liftedState(6) });
    await waitFor(() => seen.some((e) => e.message === "invalid sig"), "a refused poll");
    expect(c.version).toBe(5);
    expectBlock(c);
  });

  it("still takes signed frames without a publicKey, as before", async () => {
    const c = client({ url: server.url, sdkKey: TEST_KEY, reconnectDelayMs: 20 });
    expect(await c.ready()).toBe("ready");
    expectBlock(c);
    const conn = server.connections.at(-1)!;
    await stillApplies(server, c, conn);
  });
});

describe("rotation", () => {
  it("follows a rotation without a gap: announced by the old key, then signed by the new one alone", async () => {
    const { c, conn, seen } = await connected();
    const next = signingKey();
    // The overlap: both keys sign, and the new key is announced.
    server.signers = [next, key];
    server.announce(next, 2);
    server.change({ flags: { "model.y": killed(0) } });
    await waitFor(() => server.acks(conn).includes(6), "ack 6");
    // The overlap is over: only the new key signs.
    server.signers = [next];
    server.change({ flags: { "model.z": killed(0) } });
    await waitFor(() => server.acks(conn).includes(7), "ack 7");
    // And a new stream's snapshot, signed by the new key only.
    server.resume = false;
    server.drop();
    await waitFor(() => server.connections.length === 2 && server.acks(server.connections[1]!).includes(7), "ack 7 on the next stream");
    expect(seen.filter((e) => /sig/.test(e.message))).toEqual([]);
    expect(c.version).toBe(7);
    expectBlock(c);
  });

  it("does not learn a key announced by a key it does not trust", async () => {
    const { c, conn, seen } = await connected();
    const intruder = signingKey();
    server.signers = [intruder];
    server.announce(intruder, 2);
    await waitFor(() => seen.length >= 1, "the refused announcement");
    server.change({ flags: { "model.x": lifted(0) } });
    // The announcement, the snapshot that answers the resync, and the patch: the intruder's, all refused.
    await waitFor(() => seen.length >= 3, "the refused patch");
    expect(c.version).toBe(5);
    expectBlock(c);
    expect(server.acks(conn).filter((v) => v !== 5)).toEqual([]);
  });

  it("keeps the announcement in its cache: after the overlap, a cold start still verifies the new key's frames", async () => {
    const cache = memory();
    const { c } = await connected({ cache });
    const next = signingKey();
    server.signers = [next, key];
    server.announce(next, 2);
    server.signers = [next];
    server.change({ flags: { "model.y": killed(0) } });
    await waitFor(() => c.version === 6, "version 6");
    await c.close();
    const written = readCache([...cache.data.values()][0]!);
    expect(written.frames.map((f) => f.t)).toEqual(["hb", "snapshot", "patch"]);

    await server.stop();
    // Still pinned to the old key only.
    const again = client({ url: server.url, sdkKey: TEST_KEY, reconnectDelayMs: 20, publicKey: key.publicKey, cache });
    const seen = errors(again);
    expect(await again.ready({ timeoutMs: 300 })).toBe("cached");
    expect(again.version).toBe(6);
    expectBlock(again);
    await server.restart();
    server.change({ flags: { "model.z": killed(0) } });
    await waitFor(() => again.version === 7, "version 7 from the new key");
    expect(seen.filter((e) => /sig/.test(e.message))).toEqual([]);
  });

  it("takes either of two pinned keys", async () => {
    const next = signingKey();
    server.signers = [next];
    const { c, conn } = await connected({ publicKey: [key.publicKey, next.publicKey] });
    await stillApplies(server, c, conn);
  });
});

describe("the persisted cache", () => {
  it("stores frames as received and verifies them again at start", async () => {
    const cache = memory();
    const { c } = await connected({ cache });
    server.change({ flags: { "model.y": killed(0) } });
    await waitFor(() => c.version === 6, "version 6");
    await c.close();
    const text = [...cache.data.values()][0]!;
    const written = readCache(text);
    expect(written.lines[0]).toMatch(/^\{"serverTime":\d+,"sig":\{/);
    expect(written.frames.map((f) => [f.t, f.v])).toEqual([["snapshot", 5], ["patch", 6]]);
    await server.stop();
    const again = client({ url: server.url, sdkKey: TEST_KEY, publicKey: key.publicKey, cache, reconnectDelayMs: 20 });
    expect(await again.ready({ timeoutMs: 300 })).toBe("cached");
    expect(again.version).toBe(6);
    expectBlock(again);
  });

  it.each<[string, (line: string) => string]>([
    ["a lifted kill", (line) => line.replace('"enabled":false', '"enabled":true')],
    ["a removed block rule", (line) => line.replace(/"rules":\[\{"id":"r1".*?\}\],"fallthrough"/, '"rules":[],"fallthrough"')],
    ["its signature removed", (line) => `{${line.slice(line.indexOf("}") + 2)}`],
  ])("refuses at start a cache file edited on disk: %s", async (_, edit) => {
    const cache = memory();
    const { c } = await connected({ cache });
    await c.close();
    const [k, text] = [...cache.data][0]!;
    const [head, snapshot] = text.split("\n");
    const edited = edit(snapshot!);
    expect(edited).not.toBe(snapshot);
    cache.data.set(k, `${head}\n${edited}`);
    await server.stop();
    const again = client({ url: server.url, sdkKey: TEST_KEY, publicKey: key.publicKey, cache, reconnectDelayMs: 20 });
    const seen = errors(again);
    expect(await again.ready({ timeoutMs: 300 })).toBe("defaults");
    expect(seen.some((e) => e.message === "invalid sig")).toBe(true);
    expect(again.isEnabled("model.x", us, false)).toBe(false);
  });

  it("applies none of an edited patch line, nor what follows it", async () => {
    // A state large enough that two patches do not outweigh it (the client would replace them with a fresh snapshot).
    for (let i = 0; i < 20; i++) server.flags[`filler.${i}`] = boolFlag(`filler.${i}`, { version: 5 });
    const cache = memory();
    const { c } = await connected({ cache });
    server.change({ flags: { "model.y": killed(0) } });
    server.change({ flags: { "model.z": killed(0) } });
    await waitFor(() => c.version === 7, "version 7");
    await c.close();
    const [k, text] = [...cache.data][0]!;
    const lines = text.split("\n");
    expect(readCache(text).frames.map((f) => f.v)).toEqual([5, 6, 7]);
    lines[2] = lines[2]!.replace('"enabled":false', '"enabled":true');
    cache.data.set(k, lines.join("\n"));
    await server.stop();
    const again = client({ url: server.url, sdkKey: TEST_KEY, publicKey: key.publicKey, cache, reconnectDelayMs: 20 });
    const seen = errors(again);
    expect(await again.ready({ timeoutMs: 300 })).toBe("cached");
    expect(again.version).toBe(5);
    expect(seen.some((e) => e.message === "invalid sig")).toBe(true);
    expect(again.evaluate("model.y", us, true).errorCode).toBe("FLAG_NOT_FOUND");
    expectBlock(again);
  });

  it("refuses an unsigned cache when pinned: one written by a client without the key", async () => {
    const cache = memory();
    server.signers = [];
    const first = client({ url: server.url, sdkKey: TEST_KEY, cache });
    expect(await first.ready()).toBe("ready");
    await first.close();
    await server.stop();
    const again = client({ url: server.url, sdkKey: TEST_KEY, publicKey: key.publicKey, cache, reconnectDelayMs: 20 });
    expect(await again.ready({ timeoutMs: 300 })).toBe("defaults");
  });
});

describe("the cache's patches", () => {
  it("are replaced by a fresh snapshot once they outweigh it, so the cache stays under twice the state", async () => {
    const cache = memory();
    const { c, conn } = await connected({ cache });
    const before = resyncs(conn);
    for (let i = 0; i < 6; i++) server.change({ flags: { [`model.p${i}`]: killed(0) } });
    await waitFor(() => c.version === 11 && resyncs(conn) > before, "version 11 and a resync");
    await waitFor(() => readCache([...cache.data.values()][0]!).frames[0]!.v === 11, "a cache that starts at a snapshot of version 11");
    await c.close();
    const written = readCache([...cache.data.values()][0]!);
    const snapshotBytes = written.lines[0]!.length;
    const patchBytes = written.lines.slice(1).reduce((n, l) => n + l.length, 0);
    expect(written.frames[0]).toMatchObject({ t: "snapshot" });
    expect(patchBytes).toBeLessThanOrEqual(snapshotBytes);
  });
});
