/**
 * Large snapshots: the client builds a new state in steps, letting the host's loop run
 * between them, and swaps it in whole at the end; on Node a text over 1 MB is parsed in
 * a worker thread and handed over in pieces. How long the loop is held is measured by
 * the benchmark (bench/sdk-snapshot), not here: these tests check the behaviour.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { KillswitchClient } from "../src/client.js";
import { createClient } from "../src/node.js";
import type { WireFlag } from "../src/model.js";
import { boolFlag, foreignNationals } from "./support/flags.js";
import { client, closeClients, errors } from "./support/clients.js";
import { FakeServer, TEST_KEY, waitFor } from "./support/fake-server.js";
import { stubService } from "./support/stub-service.js";

let server: FakeServer | undefined;
let stubbed: KillswitchClient | undefined;

afterEach(async () => {
  await stubbed?.close();
  stubbed = undefined;
  await closeClients();
  await server?.close();
  server = undefined;
  vi.restoreAllMocks();
});

const snapshot = (v: number, flags: Record<string, WireFlag>) =>
  JSON.stringify({ t: "snapshot", v, env: "production", flags, segments: {}, serverTime: 0 });

describe("the build of a snapshot", () => {
  it("lets the loop run between its steps and applies the snapshot whole at the end", async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `model.m${i}`);
    const all = (enabled: boolean) => Object.fromEntries(keys.map((k) => [k, boolFlag(k, { enabled, version: enabled ? 1 : 2 })]));
    // Every clock read is 30 ms after the previous one: the build pauses after each step.
    let clock = 1_000_000;
    vi.spyOn(Date, "now").mockImplementation(() => (clock += 30));
    const { WebSocket, sockets } = stubService((s) => {
      s.accept();
      s.deliver(snapshot(1, all(true)));
    });
    stubbed = createClient({ url: "http://killswitch.test", sdkKey: "ks_t_key", WebSocket, staleAfterMs: Infinity });
    expect(await stubbed.ready()).toBe("ready");
    const c = stubbed;

    const samples: boolean[][] = [];
    const sampler = setInterval(() => samples.push(keys.map((k) => c.isEnabled(k, {}, true))));
    const changed = new Promise<{ flags: string[]; version: number }>((r) => c.on("change", r));
    sockets[0]!.deliver(snapshot(2, all(false)));
    const event = await changed;
    clearInterval(sampler);

    // The loop ran during the build, and evaluation saw the old state until the swap, never a mix.
    expect(samples.length).toBeGreaterThan(5);
    for (const s of samples) expect(s).toEqual(keys.map(() => true));
    expect(keys.map((k) => c.isEnabled(k, {}, true))).toEqual(keys.map(() => false));
    expect(event).toEqual({ flags: keys, version: 2 });
  });
});

describe("a snapshot over 1 MB on Node", () => {
  // About 1.5 MB of flags, one of them named "__proto__", plus the segment they name.
  const big = (version: number, enabled: boolean): Record<string, WireFlag> => {
    const flags: Record<string, WireFlag> = {};
    for (let i = 0; i < 3_000; i++) {
      flags[`model.m${i}`] = boolFlag(`model.m${i}`, {
        enabled,
        version,
        description: "x".repeat(300),
        rules: [{ id: "r1", when: [{ segment: ["foreign-nationals"] }], serve: { variant: "off" } }],
      } as Partial<WireFlag>);
    }
    Object.defineProperty(flags, "__proto__", { value: boolFlag("__proto__", { enabled, version }), enumerable: true });
    return flags;
  };

  it("is parsed off the loop and applied as JSON.parse would read it, from the stream and from the cache", async () => {
    server = await FakeServer.start({ segments: [foreignNationals()] });
    server.flags = big(1, false);
    expect(JSON.stringify(server.snapshot()).length).toBeGreaterThan(1_000_000);
    const dir = await mkdtemp(join(tmpdir(), "ks-sdk-big-"));
    try {
      const path = join(dir, "cache.json");
      // The main thread never parses the whole text: the worker does, and hands it over in pieces.
      const parse = JSON.parse;
      let longest = 0;
      vi.spyOn(JSON, "parse").mockImplementation((text: string, reviver) => {
        longest = Math.max(longest, String(text).length);
        return parse(text, reviver);
      });
      const c = client({ url: server.url, sdkKey: TEST_KEY, cache: path });
      expect(await c.ready()).toBe("ready");
      expect(server.polls).toEqual([]);
      const check = (k: KillswitchClient) => {
        expect(k.evaluate("model.m2999", { key: "u1", nationality: "US" }, true)).toMatchObject({ value: false, reason: "DISABLED" });
        expect(k.evaluate("__proto__", {}, true)).toMatchObject({ value: false, reason: "DISABLED" });
        expect(k.evaluate("model.m3000", {}, true).errorCode).toBe("FLAG_NOT_FOUND");
      };
      check(c);
      await c.close();
      expect((await readFile(path, "utf8")).length).toBeGreaterThan(1_000_000);

      await server.stop();
      const cold = client({ url: server.url, sdkKey: TEST_KEY, cache: path, reconnectDelayMs: 20 });
      expect(await cold.ready({ timeoutMs: 500 })).toBe("cached");
      expect(cold.version).toBe(1);
      check(cold);
      expect(longest).toBeGreaterThan(1_000);
      expect(longest).toBeLessThan(400_000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("writes the file cache's lines exactly as received, a large text's characters whole across its pieces", async () => {
    server = await FakeServer.start({ segments: [foreignNationals()] });
    server.refuseUpgrades = true; // the state comes from a poll: a text line (a stream's large frame stays bytes)
    server.version = 1;
    const body = () => JSON.stringify({ version: server!.version, env: server!.env, flags: server!.flags, segments: server!.segments });
    // The file writes a text in pieces of 2^20 characters: put an emoji (a surrogate pair) across the first cut.
    server.flags = { "model.emoji": boolFlag("model.emoji", { description: "MARK" } as Partial<WireFlag>), ...big(1, false) };
    const at = body().indexOf("MARK");
    expect(at).toBeLessThan(2 ** 20);
    server.flags["model.emoji"] = boolFlag("model.emoji", { description: `${"é".repeat(2 ** 20 - 1 - at)}😀 and after` } as Partial<WireFlag>);
    const text = body();
    expect(text.charCodeAt(2 ** 20 - 1)).toBe(0xd83d);
    const dir = await mkdtemp(join(tmpdir(), "ks-sdk-lines-"));
    try {
      const path = join(dir, "cache.json");
      const c = client({ url: server.url, sdkKey: TEST_KEY, cache: path, reconnectDelayMs: 20 });
      expect(await c.ready()).toBe("ready");
      await c.close();
      const written = await readFile(path, "utf8");
      const [head, ...rest] = written.split("\n");
      expect(JSON.parse(head!)).toMatchObject({ at: expect.any(Number) });
      expect(rest).toEqual([text]);
      expect(written).not.toContain("\ufffd");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses a large frame that is not a JSON object, or not JSON, and keeps its state", async () => {
    server = await FakeServer.start({ flags: [boolFlag("model.x", { enabled: false })] });
    const c = client({ url: server.url, sdkKey: TEST_KEY });
    await c.ready();
    const seen = errors(c);
    server.broadcast(JSON.stringify(Array.from({ length: 200_000 }, (_, i) => i)));
    server.broadcast(`{"t":"snapshot","v":9,"flags":{${'"a":1,'.repeat(200_000)}`);
    await waitFor(() => seen.length >= 2, "two refusals");
    expect(seen[0]!.message).toBe("invalid frame");
    expect(seen[1]).toBeInstanceOf(SyntaxError);
    expect(c.version).toBe(1);
    expect(c.evaluate("model.x", {}, true).reason).toBe("DISABLED");
  });
});
