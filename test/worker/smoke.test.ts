/**
 * The Worker host under `wrangler dev` (workerd, local, offline): routing by
 * tenant, tenant creation, the Durable Object's migrations over the shared
 * core and app, and hibernatable SDK sockets.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWranglerDev, type WranglerDev } from "../support/wrangler-dev.js";
import { kvKeys, MINIFLARE_NAME_TABLE, objectDatabase, objectDatabases, rowsOf } from "./object-storage.js";
import { openStream } from "./stream-client.js";

const ROOT_TOKEN = randomBytes(24).toString("base64url");
/** The journal of the migrations the object bundles (src/worker/migrations.ts). */
const JOURNAL_URL = new URL("../../migrations/meta/_journal.json", import.meta.url);
/** A secret shaped like a real one (32 bytes, base64url), so that only the tenant id decides. */
const SECRET = "A".repeat(43);

let dev: WranglerDev;
let persistDir: string;

beforeAll(async () => {
  persistDir = await mkdtemp(join(tmpdir(), "killswitch-worker-smoke-"));
  dev = await startWranglerDev({ persistDir, vars: { KILLSWITCH_ROOT_TOKEN: ROOT_TOKEN } });
}, 90_000);

afterAll(async () => {
  await dev?.stop();
  if (persistDir) await rm(persistDir, { recursive: true, force: true });
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const get = (path: string, headers: Record<string, string> = {}) => fetch(`${dev.url}${path}`, { headers });
const send = (method: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${dev.url}${path}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
const post = (path: string, body: unknown, headers: Record<string, string> = {}) => send("POST", path, body, headers);

async function json<T>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  expect(response.status, `${text}\n${dev.output()}`).toBe(status);
  return JSON.parse(text) as T;
}

async function createTenant(name: string): Promise<{ id: string; adminKey: string }> {
  const body = await json<{ tenant: { id: string; name: string }; adminKey: string }>(
    await post("/v1/tenants", { name }, bearer(ROOT_TOKEN)),
    201,
  );
  return { id: body.tenant.id, adminKey: body.adminKey };
}

async function createSdkKey(adminKey: string, env: string): Promise<{ id: string; secret: string }> {
  const body = await json<{ key: { id: string }; secret: string }>(
    await post("/v1/keys", { name: `sdk ${env}`, role: "sdk", env }, bearer(adminKey)),
    201,
  );
  return { id: body.key.id, secret: body.secret };
}

/** Names (or files) of the object databases holding anything beyond miniflare's own name table. */
async function objectsWithData(): Promise<string[]> {
  const dbs = await objectDatabases(persistDir);
  return dbs.filter((db) => db.schemaObjects.some((o) => o !== MINIFLARE_NAME_TABLE)).map((db) => db.name ?? db.file);
}

describe("Worker host under wrangler dev", { timeout: 30_000 }, () => {
  it("answers /healthz, /readyz and /openapi.json without a key, in the router", async () => {
    const before = await objectDatabases(persistDir);
    expect(await json(await get("/healthz"), 200)).toEqual({ ok: true });
    // Each tenant's storage is its own object: readiness on Workers is the router's.
    expect(await json(await get("/readyz"), 200)).toEqual({ ok: true });
    expect(await json(await get("/openapi.json"), 200)).toMatchObject({ openapi: "3.1.0" });
    expect(await objectDatabases(persistDir)).toEqual(before);
  });

  it("refuses a key whose tenant id breaks the grammar with 401, before any object is touched", async () => {
    const before = await objectDatabases(persistDir);
    const refused = [
      get("/v1/envs", bearer(`ks_ABCDEFGHIJ_${SECRET}`)), // upper case
      get("/v1/envs", bearer(`ks_abcdefghi_${SECRET}`)), // nine characters
      get("/v1/envs", bearer(`ks_abcdefghijk_${SECRET}`)), // eleven
      get("/v1/envs", bearer("abcdefghij")), // no ks_ prefix
      get("/v1/envs", bearer("ks_abcdefghij_")), // no secret
      get("/v1/envs", { "x-api-key": `ks_abc-efghij_${SECRET}` }),
      get("/v1/envs"), // no key at all
      post("/v1/tenants", { name: "Acme" }), // no root token
      post("/v1/tenants", { name: "Acme" }, bearer(`${ROOT_TOKEN}x`)),
    ];
    for (const response of await Promise.all(refused)) {
      expect(response.status).toBe(401);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(await response.json()).toMatchObject({ type: "https://killswitch.dev/problems/unauthorized", status: 401 });
    }
    await expect(openStream(dev.url, ["killswitch.v1", `ks_NOT-A-TENANT_${SECRET}`])).rejects.toThrow("401");
    expect(await objectDatabases(persistDir)).toEqual(before);
  });

  it("answers 401 for a tenant id that POST /v1/tenants never created, without reaching its object", async () => {
    const response = await get("/v1/envs", bearer(`ks_zzzzzzzzzz_${SECRET}`));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ type: "https://killswitch.dev/problems/unauthorized", status: 401 });
    // The registry does not hold it: no object ran, so none has a database.
    expect(await objectDatabase(persistDir, "zzzzzzzzzz")).toBeUndefined();
  });

  it("answers the root token 403 outside POST /v1/tenants, as the shared app does", async () => {
    const response = await get("/v1/envs", bearer(ROOT_TOKEN));
    expect(await json(response, 403)).toMatchObject({ type: "https://killswitch.dev/problems/forbidden" });
  });

  it("answers a body over 256 KiB with 413 before looking at the key", async () => {
    const response = await post("/v1/flags", { key: "x", description: "y".repeat(300 * 1024) });
    expect(response.status).toBe(413);
  });

  it("leaves nothing behind when the object refuses the creation, in the registry neither", async () => {
    const before = await objectsWithData();
    const registered = await kvKeys(persistDir);
    const refused = await json<{ errors: { path: string }[] }>(await post("/v1/tenants", { name: "" }, bearer(ROOT_TOKEN)), 400);
    expect(refused.errors[0]?.path).toBe("name");
    expect(await objectsWithData()).toEqual(before);
    expect(await kvKeys(persistDir)).toEqual(registered);
  });

  it("creates a tenant in its own object, migrated with the bundled migrations", async () => {
    const tenant = await createTenant("Acme");
    expect(tenant.id).toMatch(/^[a-z0-9]{10}$/);
    expect(await kvKeys(persistDir)).toContain(tenant.id); // the registry the Worker reads before any object
    expect(tenant.adminKey.startsWith(`ks_${tenant.id}_`)).toBe(true);

    const envs = await json<{ items: { key: string; version: number }[] }>(await get("/v1/envs", bearer(tenant.adminKey)), 200);
    expect(envs.items).toEqual([expect.objectContaining({ key: "production", version: 0 })]);
    expect(await json(await get("/v1/audit/verify", bearer(tenant.adminKey)), 200)).toEqual({ ok: true, entries: 1, breaks: [] });

    const journal = JSON.parse(await readFile(JOURNAL_URL, "utf8")) as { entries: { when: number; tag: string }[] };
    const db = await objectDatabase(persistDir, tenant.id);
    expect(db?.schemaObjects).toEqual(expect.arrayContaining(["__drizzle_migrations", "tenants", "change_log", "audit_log"]));
    // Every migration but the Node host's own (the cluster's stream_* tables): an object never creates those.
    expect(db?.schemaObjects.filter((name) => name.startsWith("stream_"))).toEqual([]);
    const nodeOnly = ["0001_cluster", "0009_cluster_first_version"];
    const applied = await rowsOf(db!.file, "__drizzle_migrations");
    expect(applied.map((row) => Number(row.created_at))).toEqual(journal.entries.filter((e) => !nodeOnly.includes(e.tag)).map((entry) => entry.when));

    // A key naming this tenant with another tenant's secret reaches this object and is refused.
    const other = await createTenant("Other");
    const crossed = await get("/v1/envs", bearer(other.adminKey.replace(other.id, tenant.id)));
    expect(crossed.status).toBe(401);
  });

  it("streams over the Hibernation API: auto-pong, hello, broadcast patches, acks, instances", async () => {
    const tenant = await createTenant("Streams");
    const sdkKey = await createSdkKey(tenant.adminKey, "production");

    // The key travels as the second subprotocol; the server selects ours and never echoes the key.
    const client = await openStream(dev.url, ["killswitch.v1", sdkKey.secret]);
    expect(client.ws.protocol).toBe("killswitch.v1");
    client.ws.send("ping");
    expect(await client.next()).toBe("pong"); // the hub never answers ping itself: this is the runtime

    client.ws.send(JSON.stringify({ t: "hello", protocol: 1, sdk: "@killswitch/sdk@0.1.0", app: "checkout", instance: "i-1" }));
    expect(JSON.parse(await client.next())).toMatchObject({ t: "snapshot", v: 0, env: "production", flags: {}, segments: {} });
    client.ws.send(JSON.stringify({ t: "ack", v: 0 }));

    // A server SDK sends the key as a header; until its hello it receives nothing.
    const quiet = await openStream(dev.url, ["killswitch.v1"], bearer(sdkKey.secret));

    await json(await post("/v1/flags", { key: "model.fable-5", kind: "boolean" }, bearer(tenant.adminKey)), 201);
    const created = JSON.parse(await client.next());
    expect(created).toMatchObject({ t: "patch", v: 1, prev: 0 });
    expect(Object.keys(created.flags)).toEqual(["model.fable-5"]);
    client.ws.send(JSON.stringify({ t: "ack", v: 1 }));

    const kill = await post("/v1/envs/production/flags/model.fable-5/kill", { reason: "EXPORT-2026-001" }, bearer(tenant.adminKey));
    const answer = await json<{ audit: { seq: number; hash: string } }>(kill, 200);
    expect(answer).toEqual({ version: 2, audit: { seq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    const killed = JSON.parse(await client.next());
    expect(killed).toMatchObject({ t: "patch", v: 2, prev: 1, audit: answer.audit });
    expect(killed.flags["model.fable-5"]).toMatchObject({ enabled: false });
    await expect(quiet.next(300)).rejects.toThrow("no frame");
    quiet.ws.close();

    const instances = await json<{ items: Record<string, unknown>[]; total: number }>(
      await get("/v1/envs/production/instances", bearer(tenant.adminKey)),
      200,
    );
    expect(instances.total).toBe(1);
    expect(instances.items[0]).toMatchObject({ instance: "i-1", app: "checkout", sdk: "@killswitch/sdk@0.1.0", appliedVersion: 1 });

    // A reconnecting client gets what it missed as one patch, or an hb when current.
    const behind = await openStream(dev.url, ["killswitch.v1", sdkKey.secret]);
    behind.ws.send(JSON.stringify({ t: "hello", protocol: 1, sdk: "s", app: "a", instance: "i-2", since: 0 }));
    expect(JSON.parse(await behind.next())).toMatchObject({ t: "patch", v: 2, prev: 0 });
    const current = await openStream(dev.url, ["killswitch.v1", sdkKey.secret]);
    current.ws.send(JSON.stringify({ t: "hello", protocol: 1, sdk: "s", app: "a", instance: "i-3", since: 2 }));
    expect(JSON.parse(await current.next())).toMatchObject({ t: "hb", v: 2 });
    behind.ws.close();
    current.ws.close();

    client.ws.send(JSON.stringify({ t: "ack", v: 7 }));
    expect(await client.closed).toEqual({ code: 1008, reason: "ack of version 7, never sent" });
  });

  it("keeps a connection whose hello has every string at its longest, in two-byte characters", async () => {
    // The attachment that holds them is capped by the platform at 2,048 bytes.
    const tenant = await createTenant("Long names");
    const sdkKey = await createSdkKey(tenant.adminKey, "production");
    const client = await openStream(dev.url, ["killswitch.v1", sdkKey.secret]);
    const hello = { t: "hello", protocol: 1, sdk: "中".repeat(100), app: "中".repeat(200), instance: "中".repeat(128) };
    client.ws.send(JSON.stringify(hello));
    expect(JSON.parse(await client.next())).toMatchObject({ t: "snapshot", v: 0 });
    client.ws.send(JSON.stringify({ t: "ack", v: 0 }));
    const instances = async () => (await json<{ items: { instance: string; appliedVersion: number | null }[] }>(
      await get("/v1/envs/production/instances", bearer(tenant.adminKey)), 200)).items;
    await expect.poll(instances).toEqual([expect.objectContaining({ instance: hello.instance, appliedVersion: 0 })]);
    client.ws.close();
  });

  it("closes the sockets of a revoked key with 4001", async () => {
    const tenant = await createTenant("Revocations");
    const sdkKey = await createSdkKey(tenant.adminKey, "production");
    const client = await openStream(dev.url, ["killswitch.v1", sdkKey.secret]);
    expect((await send("DELETE", `/v1/keys/${sdkKey.id}`, {}, bearer(tenant.adminKey))).status).toBeLessThan(300);
    expect((await client.closed).code).toBe(4001);
    await expect(openStream(dev.url, ["killswitch.v1", sdkKey.secret])).rejects.toThrow("401");
  });

  it("keeps a tenant across a restart: the object migrates in its constructor and still knows the tenant", async () => {
    const tenant = await createTenant("Durable");
    await dev.stop();
    dev = await startWranglerDev({ persistDir, vars: { KILLSWITCH_ROOT_TOKEN: ROOT_TOKEN } });
    const envs = await json<{ items: { key: string }[] }>(await get("/v1/envs", bearer(tenant.adminKey)), 200);
    expect(envs.items.map((env) => env.key)).toEqual(["production"]);
  }, 90_000);
});
