import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/node/server.js";
import { DEMO_FLAGS, DEMO_SEGMENT } from "../../src/node/bootstrap.js";
import { tempDir } from "../support/temp-db.js";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function start(dir: string, rootToken?: string): Promise<RunningServer> {
  const server = await startServer({ databaseUrl: `file:${join(dir, "k.db")}`, port: 0, rootToken, onError: () => {} });
  cleanup.push(() => server.close());
  return server;
}

const get = async (server: RunningServer, path: string, key: string) =>
  fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${key}` } });

describe("startServer", () => {
  it("bootstraps the demo tenant once on an empty database without a root token", async () => {
    const dir = tempDir();
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const first = await start(dir);
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const demo = first.demo!;
    expect(demo.adminKey).toMatch(new RegExp(`^ks_${demo.tenantId}_`));

    const flags = await (await get(first, "/v1/flags", demo.adminKey)).json();
    expect(flags.items.map((f: { key: string }) => f.key)).toEqual([...DEMO_FLAGS]);
    const snapshot = await (await get(first, "/v1/snapshot", demo.sdkKey)).json();
    expect(snapshot.env).toBe("production");
    expect(snapshot.segments[DEMO_SEGMENT].rules).toEqual([{ when: [{ attribute: "nationality", op: "notIn", values: ["US"] }] }]);
    await first.close();

    const second = await start(dir);
    expect(second.demo).toBeNull();
    expect((await get(second, "/v1/flags", demo.adminKey)).status).toBe(200);
  });

  it("bootstraps nothing when a root token is set", async () => {
    const dir = tempDir();
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const server = await start(dir, "root");
    expect(server.demo).toBeNull();
    expect(await server.store.hasTenants()).toBe(false);
  });

  it("closes idempotently, ending keep-alive connections", async () => {
    const dir = tempDir();
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const server = await startServer({ databaseUrl: `file:${join(dir, "k.db")}`, port: 0, rootToken: "r" });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    await Promise.all([server.close(), server.close()]);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});
