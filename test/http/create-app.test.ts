/**
 * The app in-process (no socket): what the contract suite cannot reach from
 * outside — an unexpected error's 500, lastUsedAt bookkeeping, the route table.
 */
import { afterEach, describe, expect, it } from "vitest";
import { silentBroadcaster } from "../../src/core/broadcaster.js";
import type { Store } from "../../src/core/store/index.js";
import { createApp, type App, type AppDeps } from "../../src/http/create-app.js";
import { keyToucher } from "../../src/http/credentials.js";
import { OPERATIONS, openApiDocument } from "../../src/http/openapi.js";
import { nodeStreamHost } from "../../src/node/stream/index.js";
import { workerRoutes } from "../../src/worker/worker-routes.js";
import { openTempStore, type TempStore } from "../support/temp-db.js";

let t: TempStore;
afterEach(() => t?.close());

async function appWith(overrides: Partial<Store> = {}, deps: Partial<AppDeps> = {}) {
  t = await openTempStore();
  const { adminKey } = await t.store.createTenant({ name: "acme" });
  const store: Store = { ...t.store, ...overrides };
  const app = createApp({ store, broadcaster: silentBroadcaster, onError: () => {}, ...deps });
  const get = (path: string) => app.request(path, { headers: { authorization: `Bearer ${adminKey}` } });
  return { app, get, adminKey };
}

describe("createApp", () => {
  it("answers an unexpected error with a 500 problem that reveals nothing", async () => {
    const reported: unknown[] = [];
    const { get } = await appWith(
      { listFlags: async () => Promise.reject(new Error("disk on fire at /var/lib/secret")) },
      { onError: (e) => reported.push(e) },
    );
    const res = await get("/v1/flags");
    expect(res.status).toBe(500);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const body = await res.json();
    expect(body).toEqual({
      type: "https://killswitch.dev/problems/internal",
      title: "Internal error",
      status: 500,
      detail: expect.not.stringContaining("secret"),
    });
    expect(reported).toHaveLength(1);
  });

  it("answers a busy database on a read with 503 and Retry-After, not 500", async () => {
    const { get } = await appWith({
      listFlags: async () => Promise.reject(Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" })),
    });
    const res = await get("/v1/flags");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect((await res.json()).type).toBe("https://killswitch.dev/problems/busy");
  });

  it.each([
    ["SQLITE_FULL", "database or disk is full", /disk is full/],
    ["SQLITE_READONLY", "attempt to write a readonly database", /read-only/],
    ["SQLITE_IOERR_WRITE", "disk I/O error", /I\/O error/],
  ])("answers a database fault (%s) with 503 unavailable and Retry-After, not 500, and logs nothing", async (code, message, detail) => {
    const reported: unknown[] = [];
    const { get } = await appWith(
      { listFlags: async () => Promise.reject(Object.assign(new Error(message), { code })) },
      { onError: (e) => reported.push(e) },
    );
    const res = await get("/v1/flags");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const body = await res.json();
    expect(body).toMatchObject({ type: "https://killswitch.dev/problems/unavailable", status: 503 });
    expect(body.detail).toMatch(detail);
    expect(reported).toEqual([]);
  });

  it("answers /readyz 200 when the host is ready, and 503 with its reason when not", async () => {
    let reason: string | null = null;
    const { app } = await appWith({}, { readiness: async () => reason });
    const ready = await app.request("/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true });
    reason = "The database's disk is full.";
    const unready = await app.request("/readyz");
    expect(unready.status).toBe(503);
    expect(unready.headers.get("retry-after")).toBe("5");
    expect(await unready.json()).toMatchObject({ type: "https://killswitch.dev/problems/unavailable", detail: reason });
    expect((await app.request("/healthz")).status).toBe(200);
  });

  it("writes lastUsedAt at most once a minute per key, off the request path", async () => {
    let now = 1_000_000;
    const touches: number[] = [];
    const deferred: Promise<unknown>[] = [];
    const { get } = await appWith(
      { touchKey: async (_t, _k, at) => void touches.push(at) },
      { clock: () => now, defer: (task) => void deferred.push(task) },
    );
    await get("/v1/flags");
    await get("/v1/flags");
    now += 59_999;
    await get("/v1/flags");
    now += 1;
    await get("/v1/flags");
    await Promise.all(deferred);
    expect(touches).toEqual([1_000_000, 1_060_000]);
  });

  it("records key use through the host's toucher when given one, on that toucher's clock", async () => {
    const touches: number[] = [];
    const touchKey = keyToucher({ store: { touchKey: async (_t, _k, at) => void touches.push(at) }, clock: () => 7_000_000 });
    const { get } = await appWith({ touchKey: async () => Promise.reject(new Error("not the host's toucher")) }, { clock: () => 1, touchKey });
    expect((await get("/v1/flags")).status).toBe(200);
    expect((await get("/v1/flags")).status).toBe(200);
    expect(touches).toEqual([7_000_000]);
  });

  it("never fails a request because lastUsedAt could not be written", async () => {
    const reported: unknown[] = [];
    const deferred: Promise<unknown>[] = [];
    const { get } = await appWith(
      { touchKey: async () => Promise.reject(new Error("SQLITE_BUSY")) },
      { defer: (task) => void deferred.push(task), onError: (e) => reported.push(e) },
    );
    expect((await get("/v1/flags")).status).toBe(200);
    await Promise.all(deferred);
    expect(reported).toHaveLength(1);
  });

  /**
   * `METHOD /path/{param}` of every API route an app registered (middleware excluded). The
   * console's HTML pages under /console are not API routes: docs/console.md describes them.
   */
  const routeTable = (app: App): string[] =>
    [
      ...new Set(
        app.routes
          .filter((r) => r.method !== "ALL" && !r.path.startsWith("/console"))
          .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`),
      ),
    ].sort();
  const documented = [...new Set(OPERATIONS.map((op) => `${op.method.toUpperCase()} ${op.path}`))].sort();

  it("registers on the Node host exactly the routes the OpenAPI document lists", async () => {
    t = await openTempStore();
    const host = nodeStreamHost()({ store: t.store, cluster: null, touchKey: () => {} });
    try {
      const app = createApp({ store: t.store, broadcaster: host.broadcaster, extend: host.extend });
      expect(routeTable(app)).toEqual(documented);
    } finally {
      await host.close();
    }
  });

  it("registers in the Worker's tenant object exactly the routes the OpenAPI document lists", async () => {
    t = await openTempStore();
    // Registering routes calls neither the hub nor the receipt source.
    const unused = () => {
      throw new Error("not called while routes are registered");
    };
    const extend = workerRoutes(unused, { receipt: unused, instances: unused });
    const app = createApp({ store: t.store, broadcaster: silentBroadcaster, extend });
    expect(routeTable(app)).toEqual(documented);
  });

  it("documents every route in the served document, with the stream, receipt and instance routes", () => {
    const paths = openApiDocument().paths as Record<string, Record<string, unknown>>;
    const served = Object.entries(paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(served.sort()).toEqual(documented);
    expect(documented).toEqual(
      expect.arrayContaining(["GET /v1/stream", "GET /v1/envs/{env}/changes/{version}", "GET /v1/envs/{env}/instances"]),
    );
  });

  it("documents the audit checkpoint on every write's answer, and on nothing else", () => {
    const paths = openApiDocument().paths as Record<string, Record<string, { responses: Record<string, { headers?: object }> }>>;
    const withCheckpoint = OPERATIONS.filter((op) => {
      const ok = paths[op.path]![op.method]!.responses[String(Object.keys(op.ok)[0])]!;
      return ok.headers !== undefined && "Killswitch-Audit-Seq" in ok.headers;
    }).map((op) => `${op.method.toUpperCase()} ${op.path}`);
    expect(withCheckpoint).toContain("POST /v1/envs/{env}/flags/{key}/kill");
    expect(withCheckpoint).toContain("DELETE /v1/keys/{id}");
    expect(withCheckpoint).toContain("POST /v1/tenants");
    expect(withCheckpoint.filter((route) => route.startsWith("GET ") || route.includes("evaluate"))).toEqual([]);
  });

  it("mounts host routes through extend, behind authentication", async () => {
    const { app, adminKey } = await appWith({}, {
      extend: (shared) => shared.get("/v1/host-only", (c) => c.json({ principal: c.get("principal").kind })),
    });
    expect((await app.request("/v1/host-only")).status).toBe(401);
    const res = await app.request("/v1/host-only", { headers: { authorization: `Bearer ${adminKey}` } });
    expect(await res.json()).toEqual({ principal: "key" });
  });
});
