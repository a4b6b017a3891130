import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
// The universal core, as browsers, Deno and Workers get it: no Node platform.
import { createClient as createCore, type KillswitchClient } from "../src/client.js";
import { blockedForForeigners, foreignNationals } from "./support/flags.js";
import { client, closeClients, errors } from "./support/clients.js";
import { FakeServer, TEST_KEY, waitFor } from "./support/fake-server.js";
import { snapshotFrame, stubService } from "./support/stub-service.js";

let server: FakeServer;
let dir: string;
const cores: KillswitchClient[] = [];

beforeEach(async () => {
  server = await FakeServer.start({ flags: [blockedForForeigners()], segments: [foreignNationals()] });
  dir = await mkdtemp(join(tmpdir(), "ks-platform-"));
});

afterEach(async () => {
  await Promise.all(cores.splice(0).map((c) => c.close()));
  await closeClients();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const core = (cache?: string): KillswitchClient => {
  const c = createCore({ url: server.url, sdkKey: TEST_KEY, cache, reconnectDelayMs: 60_000 });
  cores.push(c);
  return c;
};

it("the core without a WebSocket (Node 20, no platform) opens no socket and serves the service's rules by polling", async () => {
  expect(typeof (globalThis as { WebSocket?: unknown }).WebSocket).toBe("undefined");
  const c = core();
  const seen = errors(c);
  expect(await c.ready({ timeoutMs: 5_000 })).toBe("ready");
  expect(c.isEnabled("model.fable-5", { key: "u2", nationality: "FR" }, true)).toBe(false);
  expect(server.connections).toHaveLength(0);
  expect(server.polls.length).toBeGreaterThan(0);
  expect(seen.some((e) => /cannot open a WebSocket/.test(e.message))).toBe(true);
});

it("the core refuses a file path as cache with a clear error; the Node entry writes the file", async () => {
  const path = join(dir, "cache.json");
  const c = core(path);
  const seen = errors(c);
  await c.ready({ timeoutMs: 5_000 });
  expect(seen.some((e) => e.message === "killswitch: cache: a path needs Node")).toBe(true);

  const node = client({ url: server.url, sdkKey: TEST_KEY, cache: path });
  expect(await node.ready({ timeoutMs: 5_000 })).toBe("ready");
  const written = (): boolean => {
    try {
      return readFileSync(path, "utf8").includes("model.fable-5");
    } catch {
      return false;
    }
  };
  await waitFor(written, "the cache file", 5_000);
  expect(server.connections.at(-1)).toMatchObject({ auth: "header" });
});

it("runs where timers are numbers, as in browsers and Workers: the stale timer is set without unref", async () => {
  const real = globalThis.setTimeout;
  // Node's timer objects convert to their numeric id, which clearTimeout takes too.
  vi.stubGlobal("setTimeout", ((fn: () => void, ms?: number, ...args: unknown[]) => +real(fn, ms, ...args)) as unknown as typeof setTimeout);
  try {
    const { WebSocket } = stubService((s) => {
      s.accept();
      s.deliver(snapshotFrame(1));
    });
    const c = createCore({ url: server.url, sdkKey: TEST_KEY, WebSocket });
    cores.push(c);
    const seen = errors(c);
    expect(await c.ready({ timeoutMs: 5_000 })).toBe("ready");
    expect(c.version).toBe(1);
    expect(seen).toEqual([]);
  } finally {
    vi.unstubAllGlobals();
  }
});
