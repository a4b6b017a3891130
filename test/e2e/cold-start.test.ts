/**
 * Last known good: a client that ran before persisted its snapshot to a file; a
 * new client started while the service is down serves from it (`ready()` →
 * "cached"), aged from when it was received, and goes live once the service is
 * back.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Api } from "../support/api.js";
import { startWithTenant } from "../support/contract-tenant.js";
import type { TestTenant } from "../support/tenants.js";
import { startProcessTarget, type ProcessTarget } from "./support/process-target.js";
import { closeClients, trackedClient } from "./support/sdk-clients.js";
import { sleep, waitFor } from "./support/wait-for.js";

const FLAG = "model.y";
/** Fail-closed with the contract's minimum limit: a snapshot older than a second serves it off. */
const STRICT = "model.strict";
const STRICT_STALE_AFTER_MS = 1_000;

let target: ProcessTarget;
let api: Api;
let t: TestTenant;
/** A second sdk key of the same environment. */
let otherKey: string;

beforeAll(async () => {
  ({ target, api, t } = await startWithTenant(startProcessTarget));
  for (const key of [FLAG, STRICT]) expect((await api("POST", "/v1/flags", { key: t.admin, json: { key, kind: "boolean" } })).status).toBe(201);
  const strict = await api("PUT", `/v1/envs/production/flags/${STRICT}`, {
    key: t.operator,
    json: { enabled: true, offVariant: "off", rules: [], fallthrough: { variant: "on" }, failMode: "closed", staleAfterMs: STRICT_STALE_AFTER_MS, reason: "e2e set-up" },
  });
  expect(strict.status).toBe(200);
  const block = await api("POST", `/v1/envs/production/flags/${FLAG}/block`, {
    key: t.operator,
    json: { reason: "Export directive", when: [{ attribute: "nationality", op: "notIn", values: ["US"] }] },
  });
  expect(block.status).toBe(200);
  const other = await api("POST", "/v1/keys", { key: t.admin, json: { name: "other sdk", role: "sdk", env: "production" } });
  expect(other.status).toBe(201);
  otherKey = other.body.secret;
});

afterAll(async () => {
  await closeClients();
  await target?.close();
});

const us = { key: "u-us", nationality: "US" };
const fr = { key: "u-fr", nationality: "FR" };

it(
  "starts from the persisted snapshot while the service is down, then goes live when it is back",
  async () => {
    const cache = join(target.dir, "killswitch-cache.json");
    const first = trackedClient({ url: target.baseUrl, sdkKey: t.sdk, app: "e2e-cold", cache });
    expect(await first.client.ready({ timeoutMs: 20_000 })).toBe("ready");
    const version = first.client.version;
    await first.client.close(); // waits for the cache write
    // A header, then each frame as received: here the one signed snapshot.
    const lines = readFileSync(cache, "utf8").split("\n").map((line) => JSON.parse(line));
    expect(lines).toEqual([{ k: expect.any(String), at: expect.any(Number) }, expect.objectContaining({ t: "snapshot", v: version, sig: expect.any(Object) })]);
    const publicKey = (await api("GET", "/v1/envs/production/signing-key", { key: t.viewer })).body.keys[0].key as string;
    // The cache names the key by a hash, never the key itself.
    // The secret is all after the tenant id: base64url, so it may hold "_" itself.
    const secret = t.sdk.split("_").slice(2).join("_");
    expect(secret.length).toBeGreaterThan(20);
    expect(readFileSync(cache, "utf8")).not.toContain(secret);

    await target.process.signal("SIGKILL");
    const down = target.baseUrl;
    expect(await fetch(`${down}/healthz`).then(() => "up", () => "down")).toBe("down");
    // Older than the strict flag's limit, younger than the default 60 s.
    await sleep(STRICT_STALE_AFTER_MS + 200);

    const cold = trackedClient({ url: down, sdkKey: t.sdk, app: "e2e-cold", cache, reconnectDelayMs: 200 });
    expect(await cold.client.ready({ timeoutMs: 1_500 })).toBe("cached");
    expect(cold.errors.length).toBeGreaterThan(0); // why it is not "ready"
    expect(cold.client.version).toBe(version);
    expect(cold.client.env).toBe("production");
    expect(cold.client.isEnabled(FLAG, us, false)).toBe(true);
    expect(cold.client.isEnabled(FLAG, fr, true)).toBe(false);
    expect(cold.client.evaluate(FLAG, fr, true)).toMatchObject({ value: false, variant: "off", reason: "TARGETING_MATCH" });
    expect(cold.client.evaluate(STRICT, us, true)).toEqual({ value: false, variant: "off", reason: "STALE" });
    // Pinned to the environment's key, the cache verifies and serves the same.
    const pinned = trackedClient({ url: down, sdkKey: t.sdk, app: "e2e-cold-pinned", cache, publicKey, reconnectDelayMs: 200 });
    expect(await pinned.client.ready({ timeoutMs: 1_500 })).toBe("cached");
    expect(pinned.client.version).toBe(version);
    expect(pinned.client.isEnabled(FLAG, fr, true)).toBe(false);
    await pinned.client.close();

    // Without a cache, or with the cache file of another key, nothing is known: callers' defaults.
    for (const options of [{ sdkKey: t.sdk }, { sdkKey: otherKey, cache }]) {
      const { client } = trackedClient({ url: down, app: "e2e-cold", ...options });
      expect(await client.ready({ timeoutMs: 500 })).toBe("defaults");
      expect(client.version).toBe(-1);
      expect(client.evaluate(FLAG, fr, true)).toMatchObject({ value: true, reason: "ERROR" });
      await client.close();
    }

    await target.start();
    await waitFor(() => cold.client.evaluate(STRICT, us, false).reason === "STATIC", 30_000, "the cold client to go live");
    expect(cold.readyEvents).toBeGreaterThanOrEqual(1);
    expect(cold.client.evaluate(FLAG, fr, true)).toMatchObject({ value: false, reason: "TARGETING_MATCH" });
    expect(await cold.client.ready()).toBe("ready");
  },
  90_000,
);
