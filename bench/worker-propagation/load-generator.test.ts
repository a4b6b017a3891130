/**
 * The load generator speaks protocol 1 to a real server: here the Node host
 * in-process (the Worker host needs `wrangler dev`, which run.ts starts).
 * Its hello is accepted, its acks count in the server's receipt, and it
 * reports one receive time per connection for a flip.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../../src/node/server.js";
import { nodeStreamHost } from "../../src/node/stream/index.js";
import { createBenchTenant, flip, receipt, type Receipt } from "./admin-api.js";
import { startLoadGenerator, type LoadGenerator } from "./load-generator.js";
import { stats } from "./stats.js";

const ROOT_TOKEN = randomBytes(24).toString("base64url");
let dir: string;
let server: Awaited<ReturnType<typeof startServer>>;
let load: LoadGenerator | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "killswitch-bench-load-"));
  server = await startServer({
    databaseUrl: `file:${join(dir, "killswitch.db")}`,
    port: 0,
    rootToken: ROOT_TOKEN,
    stream: nodeStreamHost({ onError: () => {} }),
    onError: () => {},
  });
});

afterAll(async () => {
  await load?.stop();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the load generator", () => {
  it("opens N protocol-1 connections, times each patch, and acks it", async () => {
    const tenant = await createBenchTenant(server.url, ROOT_TOKEN, "load generator test");
    load = startLoadGenerator({ port: Number(new URL(server.url).port), sdkKey: tenant.sdk, n: 3, rate: 100 });
    const ready = await load.ready(10_000);
    expect(ready).toMatchObject({ opened: 3, synced: 3, failed: 0 });

    const flipped = await flip(server.url, tenant.admin, true);
    let last: Receipt | null = null;
    for (let i = 0; i < 50 && !last?.complete; i++) {
      await sleep(100);
      last = await receipt(server.url, tenant.admin, flipped.version);
    }
    expect(last).toMatchObject({ version: flipped.version, connected: 3, acked: 3, complete: true });

    const report = await load.report();
    const times = report.recv[flipped.version] ?? [];
    expect(times).toHaveLength(3);
    // Same clock as the flip's sentAt: every receive comes after the request was sent.
    for (const t of times) expect(t).toBeGreaterThan(flipped.sentAt);
    expect(report).toMatchObject({ snapshots: 3, patches: 3, acks: 6, closes: {} });
  });
});

describe("stats", () => {
  it("takes nearest-rank percentiles, as the ws floor does", () => {
    const values = Array.from({ length: 200 }, (_, i) => 200 - i); // 200 … 1
    expect(stats(values)).toEqual({ count: 200, min: 1, p50: 100, p90: 180, p99: 198, max: 200 });
    expect(stats([])).toBeNull();
  });
});
