import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLAG, FLAG_KEY } from "../eval/fixture.js";
import { startChildServer, type ChildServer } from "./child-server.js";
import { runLoad } from "./load.js";
import { OFREP_PATH, ofrepRequests } from "./ofrep-requests.js";
import { seedProduct } from "./seed-product.js";

describe("the OFREP benchmark's bare server", () => {
  let server: ChildServer;
  beforeAll(async () => {
    server = await startChildServer(["bare"]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("answers the OFREP route with a constant success in its own process", async () => {
    expect(server.pid).not.toBe(process.pid);
    const [request] = ofrepRequests(1);
    const res = await fetch(`${server.url}${OFREP_PATH}`, { method: "POST", body: request!.body });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ key: "model.fable-5", value: true, reason: "STATIC", variant: "on", metadata: {} });
  });

  it("takes an autocannon run without errors", async () => {
    const bodies = ofrepRequests(10).map((r) => r.body);
    const result = await runLoad(server.url, OFREP_PATH, {}, bodies, { connections: 4, duration: 1 });
    expect(result.total).toBeGreaterThan(0);
    expect(result.errors).toBe(0);
    expect(result.non2xx).toBe(0);
  });
});

describe("ofrepRequests", () => {
  it("sends the fixture's key as OpenFeature's targetingKey and keeps the other attributes", () => {
    for (const r of ofrepRequests(50)) {
      const { key, ...attributes } = r.context;
      expect(JSON.parse(r.body)).toEqual({ context: { targetingKey: key, ...attributes } });
    }
  });
});

describe("the OFREP benchmark's product server", () => {
  let server: ChildServer;
  let dataDir: string;
  const rootToken = randomBytes(24).toString("base64url");
  beforeAll(async () => {
    dataDir = await mkdtemp(join(os.tmpdir(), "killswitch-ofrep-harness-"));
    server = await startChildServer(["product", dataDir, rootToken]);
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("is seeded through the admin API with the fixture's flag, readable with the sdk key it returns", async () => {
    const { sdkKey } = await seedProduct(server.url, rootToken);
    const res = await fetch(`${server.url}/v1/snapshot`, { headers: { authorization: `Bearer ${sdkKey}` } });
    expect(res.status).toBe(200);
    const snapshot = (await res.json()) as { flags: Record<string, { rules: unknown; fallthrough: unknown; enabled: unknown }> };
    const flag = snapshot.flags[FLAG_KEY];
    expect(flag).toMatchObject({ enabled: FLAG.enabled, fallthrough: FLAG.fallthrough, rules: FLAG.rules });
  });
});
