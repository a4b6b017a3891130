import { WebSocket as WsWebSocket } from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { backoff, MAX_DELAY_MS } from "../src/client/backoff.js";
import { streamUrl } from "../src/client/transport.js";
import { blockedForForeigners, boolFlag, foreignNationals } from "./support/flags.js";
import { client, closeClients, errors } from "./support/clients.js";
import { FakeServer, TEST_KEY, nextEvent, waitFor } from "./support/fake-server.js";

let server: FakeServer | undefined;

const start = async () => (server = await FakeServer.start({ flags: [blockedForForeigners()], segments: [foreignNationals()] }));

afterEach(async () => {
  await closeClients();
  await server?.close();
  server = undefined;
});

describe("stream URL", () => {
  it("derives ws(s)://…/v1/stream from the HTTP(S) base URL, keeping a base path", () => {
    expect(streamUrl("http://127.0.0.1:8787")).toBe("ws://127.0.0.1:8787/v1/stream");
    expect(streamUrl("https://flags.example.com/killswitch")).toBe("wss://flags.example.com/killswitch/v1/stream");
  });

  it("accepts a base URL with a trailing slash", async () => {
    const s = await start();
    const c = client({ url: `${s.url}/`, sdkKey: TEST_KEY });
    expect(await c.ready()).toBe("ready");
    expect(s.connections[0]!.path).toBe("/v1/stream");
  });
});

describe("authentication", () => {
  it("sends the key in the Authorization header through ws on Node 20", async () => {
    const s = await start();
    const c = client({ url: s.url, sdkKey: TEST_KEY });
    await c.ready();
    expect(s.connections[0]).toMatchObject({ auth: "header", protocol: "", path: "/v1/stream" });
  });

  it("offers the key as a subprotocol through a standard WebSocket, and never puts it in the URL", async () => {
    const s = await start();
    const c = client({ url: s.url, sdkKey: TEST_KEY, WebSocket: WsWebSocket });
    await c.ready();
    expect(s.connections[0]).toMatchObject({ auth: "subprotocol", protocol: "killswitch.v1", path: "/v1/stream" });
  });

  it("stops reconnecting when the key is refused", async () => {
    const s = await start();
    const c = client({ url: s.url, sdkKey: "ks_tenant0001_wrong", reconnectDelayMs: 5 });
    const seen = errors(c);
    expect(await c.ready({ timeoutMs: 10_000 })).toBe("defaults");
    expect(seen.some((e) => /refused/.test(e.message))).toBe(true);
    // An attempt already on its way when the poll's 401 came back may still land.
    await new Promise((r) => setTimeout(r, 100));
    const attempts = s.attempts.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(s.attempts.length).toBe(attempts);
  });

  it("stops reconnecting when the service closes the stream as unauthorized (a revoked key)", async () => {
    const s = await start();
    const c = client({ url: s.url, sdkKey: TEST_KEY, reconnectDelayMs: 5 });
    await c.ready();
    const refused = nextEvent(c, "error");
    s.connections[0]!.ws.close(4001, "revoked");
    expect((await refused).message).toMatch(/refused/);
    await new Promise((r) => setTimeout(r, 200));
    expect(s.attempts.length).toBe(1);
    // Evaluation still answers from memory.
    expect(c.isEnabled("model.fable-5", { nationality: "US" }, false)).toBe(true);
  });
});

describe("polling fallback", () => {
  it("polls the snapshot while the socket cannot connect, with If-None-Match, and counts a 304 as heard", async () => {
    const s = await start();
    s.refuseUpgrades = true;
    const c = client({ url: s.url, sdkKey: TEST_KEY, reconnectDelayMs: 20 });
    expect(await c.ready()).toBe("ready");
    expect(c.isEnabled("model.fable-5", { nationality: "US" }, false)).toBe(true);
    await waitFor(() => s.polls.length >= 3, "three polls");
    expect(s.polls[0]).toEqual({ ifNoneMatch: undefined, status: 200 });
    expect(s.polls[1]).toEqual({ ifNoneMatch: '"1"', status: 304 });

    const changed = nextEvent(c, "change");
    s.change({ flags: { "model.sonnet": boolFlag("model.sonnet") } });
    expect(await changed).toEqual({ flags: ["model.sonnet"], version: 2 });
    expect(c.isEnabled("model.sonnet", {}, false)).toBe(true);
    expect(s.polls.at(-1)).toEqual({ ifNoneMatch: '"1"', status: 200 });
    // Every poll came with a failed socket attempt.
    expect(s.attempts.length).toBeGreaterThanOrEqual(s.polls.length);
  });

  it("keeps a fail-closed flag fresh through 304s while the socket cannot connect", async () => {
    server = await FakeServer.start({ flags: [{ ...blockedForForeigners(), staleAfterMs: 600 }], segments: [foreignNationals()] });
    server.refuseUpgrades = true;
    const c = client({ url: server.url, sdkKey: TEST_KEY, reconnectDelayMs: 20 });
    let stale = false;
    c.on("stale", () => (stale = true));
    await c.ready();
    // Over three times the limit with nothing but 304s.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(server.polls.filter((p) => p.status === 304).length).toBeGreaterThan(10);
    expect(stale).toBe(false);
    expect(c.evaluate("model.fable-5", { nationality: "US" }, false).reason).toBe("DEFAULT");
  });

  it("polls through an injected fetch", async () => {
    const s = await start();
    s.refuseUpgrades = true;
    const requests: string[] = [];
    const fetcher: typeof fetch = (input, init) => {
      requests.push(`${String(input)} ${new Headers(init?.headers).get("authorization")}`);
      return fetch(input, init);
    };
    const c = client({ url: s.url, sdkKey: TEST_KEY, fetch: fetcher, reconnectDelayMs: 20 });
    expect(await c.ready()).toBe("ready");
    expect(requests[0]).toBe(`${s.url}/v1/snapshot Bearer ${TEST_KEY}`);
  });

  it("switches back to the stream once the socket connects", async () => {
    const s = await start();
    s.refuseUpgrades = true;
    const c = client({ url: s.url, sdkKey: TEST_KEY, reconnectDelayMs: 20 });
    await c.ready();
    s.refuseUpgrades = false;
    await waitFor(() => s.open.size === 1, "a socket");
    const polls = s.polls.length;
    s.change({ flags: { "model.sonnet": boolFlag("model.sonnet") } });
    await waitFor(() => c.version === 2, "version 2 over the stream");
    expect(s.polls.length).toBe(polls);
  });
});

describe("backoff", () => {
  it("draws the n-th delay uniformly from [0, min(30 s, base · 2ⁿ))", () => {
    const almostOne = () => 0.999_999;
    expect(backoff(1, 3_000, () => 0)).toBe(0);
    expect(backoff(1, 3_000, () => 0.5)).toBe(3_000);
    expect(backoff(1, 3_000, almostOne)).toBeLessThan(6_000);
    expect(backoff(1, 3_000, almostOne)).toBeGreaterThan(5_999);
    expect(backoff(2, 3_000, almostOne)).toBeGreaterThan(11_999);
    expect(backoff(3, 3_000, almostOne)).toBeLessThan(24_000);
    expect(backoff(4, 3_000, almostOne)).toBeLessThan(MAX_DELAY_MS);
    expect(backoff(40, 3_000, almostOne)).toBeGreaterThan(29_999);
  });
});
