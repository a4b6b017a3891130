/**
 * CORS through the real app: the routes a browser calls with an sdk key (the
 * snapshot, OFREP) answer a preflight before authentication and put the CORS
 * headers on every answer, errors included; the admin API gets none.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentBroadcaster } from "../../src/core/broadcaster.js";
import { CORS_MAX_AGE, withSdkCors } from "../../src/http/cors.js";
import { createApp, type App } from "../../src/http/create-app.js";
import { openTempStore, type TempStore } from "../support/temp-db.js";

const ORIGIN = "http://127.0.0.1:5173";
const FLAG = "model.fable-5";
const OFREP = "/ofrep/v1/evaluate/flags";

let t: TempStore;
let app: App;
let admin: string;
let sdk: string;
let stagingSdk: string;

/** A request as a browser on ORIGIN sends it. */
const request = (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) =>
  app.request(path, {
    method,
    headers: { origin: ORIGIN, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

/** The preflight a browser sends before a request with an Authorization header. */
const preflight = (path: string, method: string, headers = "authorization,if-none-match") =>
  app.request(path, {
    method: "OPTIONS",
    headers: { origin: ORIGIN, "access-control-request-method": method, "access-control-request-headers": headers },
  });

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const list = (value: string | null) => (value ?? "").split(",").map((item) => item.trim().toLowerCase());

beforeEach(async () => {
  t = await openTempStore();
  app = createApp({ store: t.store, broadcaster: silentBroadcaster, onError: () => {} });
  admin = (await t.store.createTenant({ name: "acme" })).adminKey;
  const key = async (env: string) => {
    const res = await request("POST", "/v1/keys", bearer(admin), { name: `${env} sdk`, role: "sdk", env });
    expect(res.status).toBe(201);
    return ((await res.json()) as { secret: string }).secret;
  };
  expect((await request("POST", "/v1/envs", bearer(admin), { key: "staging" })).status).toBe(201);
  sdk = await key("production");
  stagingSdk = await key("staging");
  expect((await request("POST", "/v1/flags", bearer(admin), { key: FLAG, kind: "boolean" })).status).toBe(201);
});
afterEach(() => t?.close());

describe("a preflight on a browser-facing route", () => {
  it.each([
    ["/v1/snapshot", "GET"],
    ["/v1/envs/production/snapshot", "GET"],
    [OFREP, "POST"],
    [`${OFREP}/${FLAG}`, "POST"],
  ])("is answered 204 on %s, with no key, allowing %s from any origin", async (path, method) => {
    const res = await preflight(path, method, "authorization,content-type");
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(list(res.headers.get("access-control-allow-methods"))).toContain(method.toLowerCase());
    expect(list(res.headers.get("access-control-allow-headers"))).toEqual(
      expect.arrayContaining(["authorization", "content-type", "if-none-match", "x-api-key"]),
    );
    expect(res.headers.get("access-control-max-age")).toBe(String(CORS_MAX_AGE));
    // Keys travel in headers, never cookies: credentials are never allowed (and `*` forbids them).
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("is not refused for an unknown environment or flag: the preflight precedes the 401 and the 404", async () => {
    expect((await preflight("/v1/envs/nowhere/snapshot", "GET")).status).toBe(204);
    expect((await preflight(`${OFREP}/no.such.flag`, "POST")).status).toBe(204);
  });
});

describe("an actual request on a browser-facing route", () => {
  it("serves the SDK's snapshot poll with the CORS headers, an exposed ETag and a 304 that carries them too", async () => {
    const first = await request("GET", "/v1/snapshot", bearer(sdk));
    expect(first.status).toBe(200);
    expect(first.headers.get("access-control-allow-origin")).toBe("*");
    expect(list(first.headers.get("access-control-expose-headers"))).toEqual(expect.arrayContaining(["etag", "retry-after"]));
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^"\d+-production-[0-9a-f]{24}-\d+"$/);
    expect(await first.json()).toMatchObject({ env: "production", flags: { [FLAG]: expect.any(Object) } });

    const again = await request("GET", "/v1/snapshot", { ...bearer(sdk), "if-none-match": etag! });
    expect(again.status).toBe(304);
    expect(again.headers.get("access-control-allow-origin")).toBe("*");
    expect(again.headers.get("etag")).toBe(etag);
  });

  it("serves GET /v1/envs/{env}/snapshot with the CORS headers", async () => {
    const res = await request("GET", "/v1/envs/production/snapshot", bearer(sdk));
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("etag")).toMatch(/^"\d+-production-[0-9a-f]{24}-\d+"$/);
  });

  it("lets a page read a refusal: 401 and 403 keep their problem JSON and carry the CORS headers", async () => {
    const missing = await request("GET", "/v1/snapshot");
    expect(missing.status).toBe(401);
    expect(missing.headers.get("content-type")).toBe("application/problem+json");
    expect(missing.headers.get("access-control-allow-origin")).toBe("*");
    expect((await missing.json()).type).toBe("https://killswitch.dev/problems/unauthorized");

    const otherEnv = await request("GET", "/v1/envs/production/snapshot", bearer(stagingSdk));
    expect(otherEnv.status).toBe(403);
    expect(otherEnv.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("evaluates over OFREP with the CORS headers, single and bulk, the bulk ETag exposed", async () => {
    const single = await request("POST", `${OFREP}/${FLAG}`, bearer(sdk), { context: { targetingKey: "u1" } });
    expect(single.status).toBe(200);
    expect(single.headers.get("access-control-allow-origin")).toBe("*");
    expect(await single.json()).toMatchObject({ key: FLAG, value: true });

    const bulk = await request("POST", OFREP, { "x-api-key": sdk }, { context: { targetingKey: "u1" } });
    expect(bulk.status).toBe(200);
    expect(bulk.headers.get("access-control-allow-origin")).toBe("*");
    expect(list(bulk.headers.get("access-control-expose-headers"))).toContain("etag");
    const etag = bulk.headers.get("etag")!;
    const unchanged = await request("POST", OFREP, { "x-api-key": sdk, "if-none-match": etag }, { context: { targetingKey: "u1" } });
    expect(unchanged.status).toBe(304);
    expect(unchanged.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("keeps OFREP's error bodies and adds the CORS headers to them", async () => {
    const noKey = await request("POST", `${OFREP}/${FLAG}`, {}, { context: {} });
    expect(noKey.status).toBe(401);
    expect(noKey.headers.get("access-control-allow-origin")).toBe("*");
    expect(await noKey.json()).toEqual({ key: FLAG, errorCode: "GENERAL", errorDetails: expect.any(String) });

    const unknown = await request("POST", `${OFREP}/no.such.flag`, bearer(sdk), { context: {} });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("access-control-allow-origin")).toBe("*");
    expect(await unknown.json()).toMatchObject({ key: "no.such.flag", errorCode: "FLAG_NOT_FOUND" });
  });
});

describe("the admin API", () => {
  it.each([
    ["GET", "/v1/flags"],
    ["GET", "/v1/keys"],
    ["GET", "/v1/audit"],
    ["GET", "/v1/envs"],
    ["POST", "/v1/envs/production/evaluate"],
  ])("sends no CORS headers on %s %s, to a preflight or to a request", async (method, path) => {
    const pre = await preflight(path, method, "authorization,content-type");
    expect(pre.status).not.toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();

    const res = await request(method, path, bearer(admin), method === "POST" ? { context: { key: "u1" } } : undefined);
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(res.headers.get("access-control-expose-headers")).toBeNull();
  });

  it("sends no CORS headers on tenant creation", async () => {
    const res = await request("POST", "/v1/tenants", bearer(admin), { name: "other" });
    expect(res.status).toBe(403);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("withSdkCors, for a host that answers before the app", () => {
  const edge = withSdkCors(async (req: Request, env: { seen: string[] }) => {
    env.seen.push(`${req.method} ${new URL(req.url).pathname}`);
    return new Response(JSON.stringify({ refused: true }), { status: 401, headers: { "content-type": "application/json" } });
  });
  const send = (path: string, init: RequestInit, env: { seen: string[] }) => edge(new Request(`http://edge${path}`, init), env);

  it("answers a preflight itself, without a key and without calling the host", async () => {
    const env = { seen: [] as string[] };
    const res = await send(`${OFREP}/${FLAG}`, { method: "OPTIONS", headers: { origin: ORIGIN, "access-control-request-method": "POST" } }, env);
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(env.seen).toEqual([]);
  });

  it("adds the CORS headers to the host's own answer on a browser-facing route, and to no other", async () => {
    const env = { seen: [] as string[] };
    const refused = await send("/v1/snapshot", { headers: { origin: ORIGIN } }, env);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("access-control-allow-origin")).toBe("*");
    expect(refused.headers.get("content-type")).toBe("application/json");
    expect(await refused.json()).toEqual({ refused: true });

    const admin = await send("/v1/flags", { headers: { origin: ORIGIN } }, env);
    expect(admin.status).toBe(401);
    expect(admin.headers.get("access-control-allow-origin")).toBeNull();
    expect(env.seen).toEqual(["GET /v1/snapshot", "GET /v1/flags"]);
  });

  it("lets the host's unexpected error through unchanged", async () => {
    const failing = withSdkCors(async () => {
      throw new Error("boom");
    });
    await expect(failing(new Request("http://edge/v1/snapshot"), {})).rejects.toThrow("boom");
  });
});
