/**
 * The Worker host against abuse, under `wrangler dev` with the real
 * wrangler.toml: keys naming made-up tenants leave no Durable Object
 * storage behind, a key's streams are capped (KILLSWITCH_MAX_STREAMS_PER_KEY),
 * and the tenant object's alarm closes a socket that never says hello.
 * The hub's limits themselves are tested with an injected clock in
 * hub-limits.test.ts; the resync flood runs on both hosts in
 * test/contract/stream-limits.test.ts.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLOSE, SUBPROTOCOL } from "@killswitch/sdk/protocol.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWranglerDev, type WranglerDev } from "../support/wrangler-dev.js";
import { kvKeys, objectDatabases } from "./object-storage.js";
import { openStream } from "./stream-client.js";

const ROOT_TOKEN = randomBytes(24).toString("base64url");
/** A secret shaped like a real one (32 bytes, base64url), so that only the tenant id decides. */
const SECRET = "A".repeat(43);
const MAX_STREAMS_PER_KEY = 2;

let dev: WranglerDev;
let persistDir: string;

beforeAll(async () => {
  persistDir = await mkdtemp(join(tmpdir(), "killswitch-worker-abuse-"));
  dev = await startWranglerDev({
    persistDir,
    vars: { KILLSWITCH_ROOT_TOKEN: ROOT_TOKEN, KILLSWITCH_MAX_STREAMS_PER_KEY: String(MAX_STREAMS_PER_KEY) },
  });
}, 90_000);

afterAll(async () => {
  await dev?.stop();
  if (persistDir) await rm(persistDir, { recursive: true, force: true });
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function post(path: string, body: unknown, token: string): Promise<any> {
  const res = await fetch(`${dev.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...bearer(token) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  expect(res.status, `${text}\n${dev.output()}`).toBeLessThan(300);
  return JSON.parse(text);
}

/** A tenant id matching the grammar, from a random draw (not one POST /v1/tenants made). */
function randomTenantId(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from(randomBytes(10), (b) => alphabet[b % alphabet.length]).join("");
}

describe("the Worker host against abuse", () => {
  it("answers 1,000 keys naming unknown tenants with 401 and leaves no object storage behind", async () => {
    const tenant = await post("/v1/tenants", { name: "Real" }, ROOT_TOKEN);
    const before = (await objectDatabases(persistDir)).map((db) => db.name).sort();
    expect(before).toEqual([tenant.tenant.id]);
    expect(await kvKeys(persistDir)).toEqual([tenant.tenant.id]);

    const ids = Array.from({ length: 1_000 }, randomTenantId);
    for (let i = 0; i < ids.length; i += 50) {
      const statuses = await Promise.all(
        ids.slice(i, i + 50).map(async (id, j) => {
          const key = `ks_${id}_${SECRET}`;
          // The admin API, OFREP and the stream: every way a key reaches an object.
          if (j % 3 === 2) {
            const refused = await openStream(dev.url, [SUBPROTOCOL, key]).then(
              (c) => (c.ws.close(), "upgraded"),
              (error: Error) => error.message,
            );
            return refused === "upgrade refused: 401" ? 401 : refused;
          }
          const res =
            j % 3 === 0
              ? await fetch(`${dev.url}/v1/envs`, { headers: bearer(key) })
              : await fetch(`${dev.url}/ofrep/v1/evaluate/flags/x`, {
                  method: "POST",
                  headers: { "content-type": "application/json", ...bearer(key) },
                  body: JSON.stringify({ context: { targetingKey: "u" } }),
                });
          await res.body?.cancel();
          return res.status;
        }),
      );
      expect(new Set(statuses)).toEqual(new Set([401]));
    }
    expect((await objectDatabases(persistDir)).map((db) => db.name).sort()).toEqual(before);
    expect(await kvKeys(persistDir)).toEqual([tenant.tenant.id]); // lookups write nothing

    // The tenant that exists is still reached.
    const envs = await fetch(`${dev.url}/v1/envs`, { headers: bearer(tenant.adminKey) });
    expect(envs.status).toBe(200);
  }, 240_000); // 1,000 requests through workerd: minutes on a loaded machine

  it("closes a stream over the key's limit with 4029, and admits another key", async () => {
    const tenant = await post("/v1/tenants", { name: "Streams per key" }, ROOT_TOKEN);
    const key = await post("/v1/keys", { name: "sdk", role: "sdk", env: "production" }, tenant.adminKey);
    const other = await post("/v1/keys", { name: "sdk 2", role: "sdk", env: "production" }, tenant.adminKey);
    const open = [];
    for (let i = 0; i < MAX_STREAMS_PER_KEY; i++) open.push(await openStream(dev.url, [SUBPROTOCOL, key.secret]));
    const over = await openStream(dev.url, [SUBPROTOCOL, key.secret]);
    expect(await over.closed).toEqual({
      code: CLOSE.TOO_MANY_CONNECTIONS,
      reason: `this key already holds ${MAX_STREAMS_PER_KEY} open streams here; reconnect later`,
    });
    const fine = await openStream(dev.url, [SUBPROTOCOL, other.secret]);
    fine.ws.send(JSON.stringify({ t: "hello", protocol: 1, sdk: "test/1", app: "abuse", instance: "other" }));
    expect(JSON.parse(await fine.next())).toMatchObject({ t: "snapshot" });
    for (const c of [...open, fine]) c.ws.close();
  });

  it("closes a socket that never says hello, from the tenant object's alarm", async () => {
    const tenant = await post("/v1/tenants", { name: "Mute" }, ROOT_TOKEN);
    const key = await post("/v1/keys", { name: "sdk", role: "sdk", env: "production" }, tenant.adminKey);
    const mute = await openStream(dev.url, [SUBPROTOCOL, key.secret]);
    // Real time: the object's own clock and alarm (10 s, plus the hub's one-second slack).
    expect(await mute.closed).toEqual({ code: CLOSE.POLICY, reason: "no hello within 10 s" });
  }, 40_000);
});
