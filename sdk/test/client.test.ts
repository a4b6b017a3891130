import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { boolFlag, blockedForForeigners, foreignNationals } from "./support/flags.js";
import { client, closeClients, errors } from "./support/clients.js";
import { FakeServer, TEST_KEY, nextEvent, waitFor } from "./support/fake-server.js";
import type { ChangeEvent } from "../src/client.js";
import type { WireFlag } from "../src/model.js";
import { snapshotFrame, stubService, type StubSocket } from "./support/stub-service.js";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };

let server: FakeServer;

beforeEach(async () => {
  server = await FakeServer.start({ flags: [blockedForForeigners()], segments: [foreignNationals()] });
});

afterEach(async () => {
  await closeClients();
  await server.close();
});

const connect = (extra: { reconnectDelayMs?: number } = {}) =>
  client({ url: server.url, sdkKey: TEST_KEY, app: "chat-api", ...extra });

describe("ready and evaluation", () => {
  it("resolves ready once the service's snapshot is applied, and evaluates it locally", async () => {
    const c = connect();
    expect(await c.ready({ timeoutMs: 5_000 })).toBe("ready");
    expect(c.version).toBe(1);
    expect(c.env).toBe("production");
    expect(c.isEnabled("model.fable-5", { key: "u1", nationality: "US" }, false)).toBe(true);
    expect(c.isEnabled("model.fable-5", { key: "u2", nationality: "FR" }, true)).toBe(false);
    // Unknown citizenship is treated as foreign.
    expect(c.isEnabled("model.fable-5", { key: "u3" }, true)).toBe(false);
    expect(c.evaluate("model.fable-5", { key: "u2", nationality: "FR" }, true)).toMatchObject({
      value: false,
      variant: "off",
      reason: "TARGETING_MATCH",
      ruleId: "r1",
    });
  });

  it("says hello with protocol 1, its sdk version, app and instance, and acks the snapshot", async () => {
    const c = connect();
    await c.ready();
    const [conn] = server.connections;
    expect(conn?.hello).toEqual({
      t: "hello",
      protocol: 1,
      sdk: `@killswitch/sdk@${pkg.version}`,
      app: "chat-api",
      instance: c.instance,
    });
    await waitFor(() => server.acks(conn!).includes(1), "ack 1");
    expect(c.instance).toMatch(/^[0-9a-z]{8,}$/);
  });

  it("resolves ready at once when already ready, and each client has its own instance id", async () => {
    const a = connect();
    const b = connect();
    await a.ready();
    expect(await a.ready({ timeoutMs: 0 })).toBe("ready");
    expect(a.instance).not.toBe(b.instance);
  });

  it("resolves defaults when nothing is known and the service cannot be reached, with the cause on the error event", async () => {
    await server.stop();
    const c = connect({ reconnectDelayMs: 20 });
    const seen = errors(c);
    expect(await c.ready({ timeoutMs: 200 })).toBe("defaults");
    const timeout = seen.find((e) => /no snapshot in 200 ms/.test(e.message));
    expect(timeout?.cause).toBeDefined();
    expect(c.isEnabled("model.fable-5", { key: "u1", nationality: "US" }, false)).toBe(false);
    expect(c.evaluate("model.fable-5", { key: "u1" }, false)).toMatchObject({ value: false, reason: "ERROR" });
    // And it comes up once the service does.
    await server.restart();
    expect(await c.ready({ timeoutMs: 10_000 })).toBe("ready");
    expect(c.isEnabled("model.fable-5", { key: "u1", nationality: "US" }, false)).toBe(true);
  });

  it("serves string, number and json flags, and the caller's default on a type mismatch or unknown flag", async () => {
    server.flags["chat.model"] = boolFlag("chat.model", { kind: "string", variants: { a: "model.sonnet", b: "model.fable-5" }, offVariant: "a", fallthrough: { variant: "b" } });
    server.flags["chat.tokens"] = boolFlag("chat.tokens", { kind: "number", variants: { low: 256, high: 4096 }, offVariant: "low", fallthrough: { variant: "high" } });
    server.flags["chat.limits"] = boolFlag("chat.limits", { kind: "json", variants: { std: { rpm: 60 }, none: null }, offVariant: "none", fallthrough: { variant: "std" } });
    const c = connect();
    await c.ready();
    expect(c.getString("chat.model", {}, "x")).toBe("model.fable-5");
    expect(c.getNumber("chat.tokens", {}, 1)).toBe(4096);
    expect(c.getJson("chat.limits", {}, { rpm: 1 })).toEqual({ rpm: 60 });
    expect(c.getNumber("chat.model", {}, 7)).toBe(7);
    expect(c.evaluate("chat.model", {}, 7)).toMatchObject({ value: 7, reason: "ERROR", errorCode: "TYPE_MISMATCH" });
    expect(c.evaluate("nope", {}, false)).toMatchObject({ value: false, reason: "ERROR", errorCode: "FLAG_NOT_FOUND" });
  });

  it("firstAvailable answers the first model whose availability flag is on, and unknown flags count as off", async () => {
    server.flags["model.mythos-5"] = boolFlag("model.mythos-5", { enabled: false });
    server.flags["model.sonnet"] = boolFlag("model.sonnet");
    const c = connect();
    await c.ready();
    const order = ["model.fable-5", "model.mythos-5", "model.sonnet"];
    expect(c.firstAvailable(order, { key: "u1", nationality: "US" })).toBe("model.fable-5");
    expect(c.firstAvailable(order, { key: "u2", nationality: ["FR", "DE"] })).toBe("model.sonnet");
    expect(c.firstAvailable(["model.typo", "model.mythos-5"], { key: "u1" })).toBeUndefined();
  });
});

describe("patches", () => {
  it("applies each patch, acks it, and names the affected flags in a change event", async () => {
    const c = connect();
    await c.ready();
    const changed = nextEvent(c, "change");
    // A segment change affects the flags that name the segment.
    server.change({ segments: { "foreign-nationals": { ...foreignNationals(), exclude: ["u-fr"] } } });
    expect(await changed).toEqual<ChangeEvent>({ flags: ["model.fable-5"], version: 2 });
    expect(c.isEnabled("model.fable-5", { key: "u-fr", nationality: "FR" }, false)).toBe(true);

    const killed = nextEvent(c, "change");
    server.change({ flags: { "model.fable-5": { ...blockedForForeigners(), enabled: false } } });
    expect(await killed).toEqual<ChangeEvent>({ flags: ["model.fable-5"], version: 3 });
    expect(c.evaluate("model.fable-5", { key: "u1", nationality: "US" }, true)).toMatchObject({ value: false, reason: "DISABLED" });

    const removed = nextEvent(c, "change");
    server.change({ removed: { flags: ["model.fable-5"] } });
    expect(await removed).toEqual<ChangeEvent>({ flags: ["model.fable-5"], version: 4 });
    expect(c.evaluate("model.fable-5", {}, false)).toMatchObject({ errorCode: "FLAG_NOT_FOUND" });
    await waitFor(() => server.acks(server.connections[0]!).join() === "1,2,3,4", "acks 1..4");
  });

  it("names in a snapshot's change event the flags it changed, and only those", async () => {
    server.flags["model.sonnet"] = boolFlag("model.sonnet");
    const c = connect();
    const first = nextEvent(c, "change");
    await c.ready();
    // The first snapshot: every flag it holds is new.
    const { flags, version } = await first;
    expect({ flags: [...flags].sort(), version }).toEqual<ChangeEvent>({ flags: ["model.fable-5", "model.sonnet"], version: 1 });
    // A later snapshot (here one the service sends after a change it did not broadcast): only model.sonnet changed.
    server.change({ flags: { "model.sonnet": boolFlag("model.sonnet", { enabled: false }) } }, false);
    const changed = nextEvent(c, "change");
    server.broadcast(server.snapshot());
    expect(await changed).toEqual<ChangeEvent>({ flags: ["model.sonnet"], version: 2 });
    expect(c.isEnabled("model.sonnet", {}, true)).toBe(false);
  });

  it("emits no change for a snapshot of the state it holds", async () => {
    const c = connect();
    await c.ready();
    const seen: ChangeEvent[] = [];
    c.on("change", (e) => seen.push(e));
    server.broadcast(server.snapshot());
    const next = nextEvent(c, "change");
    server.change({ flags: { "model.sonnet": boolFlag("model.sonnet") } });
    await next;
    // Frames are applied in order: the repeated snapshot came first, and changed nothing.
    expect(seen).toEqual<ChangeEvent[]>([{ flags: ["model.sonnet"], version: 2 }]);
  });

  it("names in a snapshot's change event the flags whose segment changed, and the flags it removed", async () => {
    server.flags["model.sonnet"] = boolFlag("model.sonnet");
    server.flags["model.staff-only"] = boolFlag("model.staff-only", { rules: [{ id: "s", when: [{ segment: ["staff"] }], serve: { variant: "off" } }] });
    server.flags["model.gone"] = boolFlag("model.gone");
    server.segments.staff = { ...foreignNationals(), key: "staff" };
    const c = connect();
    await c.ready();
    // Not broadcast: the next snapshot carries both changes. Only foreign-nationals changed, not staff.
    server.change({ segments: { "foreign-nationals": { ...foreignNationals(), exclude: ["u-fr"] } }, removed: { flags: ["model.gone"] } }, false);
    const changed = nextEvent(c, "change");
    server.broadcast(server.snapshot());
    const { flags, version } = await changed;
    expect({ flags: [...flags].sort(), version }).toEqual<ChangeEvent>({ flags: ["model.fable-5", "model.gone"], version: 2 });
    expect(c.isEnabled("model.fable-5", { key: "u-fr", nationality: "FR" }, false)).toBe(true);
  });

  it("applies snapshots that hold a null flag and a null segment: each is refused alone, and the next snapshot still applies", async () => {
    server.flags["model.null"] = null as unknown as WireFlag;
    server.flags["model.of-null"] = boolFlag("model.of-null", { rules: [{ id: "n", when: [{ segment: ["null"] }], serve: { variant: "off" } }] });
    server.segments.null = null as never;
    const c = connect();
    // A snapshot refused is an error event: fail at once rather than wait for what will not come.
    const refused = new Promise<never>((_, reject) => c.on("error", reject));
    expect(await Promise.race([c.ready(), refused])).toBe("ready");
    for (const k of ["model.null", "model.of-null"]) expect(c.evaluate(k, {}, true)).toMatchObject({ value: true, errorCode: "PARSE_ERROR" });
    server.change({ flags: { "model.sonnet": boolFlag("model.sonnet") } }, false);
    const changed = nextEvent(c, "change");
    server.broadcast(server.snapshot());
    expect(await Promise.race([changed, refused])).toEqual<ChangeEvent>({ flags: ["model.sonnet"], version: 2 });
    expect(c.isEnabled("model.fable-5", { nationality: "FR" }, true)).toBe(false);
  });

  it("emits a change with the new version for a patch that changes no flag's evaluation", async () => {
    const c = connect();
    await c.ready();
    const changed = nextEvent(c, "change");
    server.change({ segments: { unused: { ...foreignNationals(), key: "unused" } } });
    expect(await changed).toEqual<ChangeEvent>({ flags: [], version: 2 });
  });

  it("asks for a resync when a patch does not follow its version, and converges on the snapshot", async () => {
    const c = connect();
    await c.ready();
    server.change({ flags: { "model.sonnet": boolFlag("model.sonnet") } }, false);
    const gap = server.change({ flags: { "model.fable-5": { ...blockedForForeigners(), enabled: false } } }, false);
    server.broadcast(gap);
    await waitFor(() => c.version === 3, "version 3");
    const [conn] = server.connections;
    expect(conn!.received).toContainEqual({ t: "resync" });
    expect(c.isEnabled("model.sonnet", {}, false)).toBe(true);
    expect(c.isEnabled("model.fable-5", { nationality: "US" }, true)).toBe(false);
    // The ack of version 3 left before the listeners ran, but may still be in flight.
    await waitFor(() => server.acks(conn!).length >= 2, "ack 3");
    expect(server.acks(conn!)).toEqual([1, 3]);
  });

  it("asks for a resync again once a snapshot has answered the previous one", async () => {
    const c = connect();
    await c.ready();
    const conn = server.connections[0]!;
    for (const v of [3, 5]) {
      // A patch that skips a version: a gap, answered by a snapshot.
      server.change({ flags: { "model.sonnet": boolFlag("model.sonnet") } }, false);
      server.broadcast(server.change({ flags: { "model.sonnet": boolFlag("model.sonnet", { enabled: v === 5 }) } }, false));
      await waitFor(() => c.version === v, `version ${v}`);
    }
    expect(conn.received.filter((m) => typeof m === "object" && m.t === "resync")).toHaveLength(2);
  });

  it("ignores a patch it already holds", async () => {
    const c = connect();
    await c.ready();
    const p = server.change({ flags: { "model.sonnet": boolFlag("model.sonnet") } });
    await waitFor(() => c.version === 2, "version 2");
    server.broadcast(p);
    server.broadcast({ t: "hb", v: 2, serverTime: Date.now() });
    // The next change is applied after the duplicate and the heartbeat: nothing in between asked for a resync.
    const seen = errors(c);
    server.change({ flags: { "model.sonnet": boolFlag("model.sonnet", { enabled: false }) } });
    await waitFor(() => c.version === 3, "version 3");
    expect(server.connections[0]!.received).not.toContainEqual({ t: "resync" });
    expect(server.acks(server.connections[0]!)).toEqual([1, 2, 3]);
    expect(seen).toEqual([]);
  });

  it("asks for a resync when a heartbeat carries a newer version", async () => {
    const c = connect();
    await c.ready();
    server.change({ flags: { "model.sonnet": boolFlag("model.sonnet") } }, false);
    server.broadcast({ t: "hb", v: 2, serverTime: Date.now() });
    await waitFor(() => c.version === 2, "version 2");
    expect(server.connections[0]!.received).toContainEqual({ t: "resync" });
    expect(c.isEnabled("model.sonnet", {}, false)).toBe(true);
  });

  it("serves the caller's default for a config it cannot compile, and keeps applying what follows", async () => {
    const c = connect();
    await c.ready();
    const seen = errors(c);
    server.broadcast("{not json");
    const broken = { ...boolFlag("model.sonnet"), rules: "not a list" } as unknown as WireFlag;
    server.change({ flags: { "model.sonnet": broken } });
    await waitFor(() => c.version === 2, "version 2");
    expect(seen).toHaveLength(1);
    expect(c.evaluate("model.sonnet", {}, false)).toMatchObject({ value: false, reason: "ERROR", errorCode: "PARSE_ERROR" });
    server.change({ flags: { "model.sonnet": boolFlag("model.sonnet") } });
    await waitFor(() => c.version === 3, "version 3");
    expect(c.isEnabled("model.sonnet", {}, false)).toBe(true);
  });

  it("keeps working when a listener throws", async () => {
    const c = connect();
    await c.ready();
    c.on("change", () => {
      throw new Error("listener bug");
    });
    server.change({ flags: { "model.sonnet": boolFlag("model.sonnet") } });
    server.change({ flags: { "model.sonnet": boolFlag("model.sonnet", { enabled: false }) } });
    await waitFor(() => c.version === 3, "version 3");
    expect(c.isEnabled("model.sonnet", {}, true)).toBe(false);
  });

  it("unsubscribes a listener", async () => {
    const c = connect();
    await c.ready();
    const seen: number[] = [];
    const off = c.on("change", (e) => seen.push(e.version));
    server.change({ flags: { "model.sonnet": boolFlag("model.sonnet") } });
    await waitFor(() => seen.length === 1, "first change");
    off();
    server.change({ flags: { "model.sonnet": boolFlag("model.sonnet", { enabled: false }) } });
    await waitFor(() => c.version === 3, "version 3");
    expect(seen).toEqual([2]);
  });
});

describe("reconnecting", () => {
  it("closes an open socket with 1000 on close(): a clean goodbye, not a dropped connection", async () => {
    const c = connect();
    await c.ready();
    const code = new Promise<number>((r) => server.connections[0]!.ws.on("close", r));
    await c.close();
    expect(await code).toBe(1000);
    expect(server.connections).toHaveLength(1);
  });

  it("reconnects after a drop and resumes with since, receiving only what it missed", async () => {
    const c = connect({ reconnectDelayMs: 20 });
    await c.ready();
    server.drop();
    server.change({ flags: { "model.fable-5": { ...blockedForForeigners(), enabled: false } } });
    await waitFor(() => c.version === 2, "version 2");
    const second = server.connections[1]!;
    expect(second.hello).toMatchObject({ since: 1, instance: c.instance });
    expect(c.isEnabled("model.fable-5", { nationality: "US" }, true)).toBe(false);
    await waitFor(() => server.acks(second).includes(2), "ack 2 on the new socket");
  });

  it("takes a snapshot on reconnect when the service cannot resume", async () => {
    server.resume = false;
    const c = connect({ reconnectDelayMs: 20 });
    await c.ready();
    server.drop();
    server.change({ flags: { "model.sonnet": boolFlag("model.sonnet") } }, false);
    await waitFor(() => c.version === 2, "version 2");
    expect(c.isEnabled("model.sonnet", {}, false)).toBe(true);
  });

  it("survives the service stopping and restarting on the same port", async () => {
    const c = connect({ reconnectDelayMs: 20 });
    await c.ready();
    await server.stop();
    server.change({ flags: { "model.sonnet": boolFlag("model.sonnet") } });
    await server.restart();
    await waitFor(() => c.version === 2, "version 2");
    expect(c.isEnabled("model.sonnet", {}, false)).toBe(true);
  });
});

describe("frames in flight", () => {
  const patch = (v: number, prev: number) => JSON.stringify({ t: "patch", v, prev, flags: {}, segments: {}, removed: { flags: [], segments: [] } });
  const resyncsSent = (s: StubSocket) => s.sent.filter((m) => m === '{"t":"resync"}').length;

  it("asks for the whole state once while a resync is pending: a patch applied meanwhile does not ask again", async () => {
    let socket!: StubSocket;
    const { WebSocket } = stubService((s) => {
      socket = s;
      s.accept();
      s.deliver(snapshotFrame(1));
      s.deliver(patch(3, 2)); // a gap: a resync is asked
      s.deliver(patch(2, 1)); // follows version 1: applied, the resync still pending
      s.deliver(patch(4, 3)); // another gap: the resync asked already answers it
      s.deliver(patch(3, 2)); // applied
    });
    const c = client({ url: server.url, sdkKey: TEST_KEY, WebSocket });
    await waitFor(() => c.version === 3, "version 3");
    expect(resyncsSent(socket)).toBe(1);
  });

  it("applies no snapshot that arrives as close() is called", async () => {
    let c!: ReturnType<typeof client>;
    const { WebSocket, sockets } = stubService((s) => {
      s.accept();
      s.deliver(snapshotFrame(1));
      void c.close();
    });
    c = client({ url: server.url, sdkKey: TEST_KEY, WebSocket });
    expect(await c.ready()).toBe("defaults");
    await waitFor(() => sockets.length === 1 && sockets[0]!.readyState === 3, "the socket closed");
    // The snapshot's job has run by now: frames are applied in order, and ready() waited for the cache.
    await new Promise((r) => setTimeout(r, 0));
    expect(c.evaluate("model.fable-5", { nationality: "FR" }, true)).toMatchObject({ value: true, reason: "ERROR" });
  });
});
