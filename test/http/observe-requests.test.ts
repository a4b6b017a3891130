/**
 * The app's own reports, in-process: one record per request with its route
 * pattern (never the raw path) and request id, refused credentials by reason,
 * OFREP evaluations by reason, a 500's cause once with its request, and the
 * metrics routes' own answers.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { silentBroadcaster } from "../../src/core/broadcaster.js";
import { UNMATCHED_ROUTE } from "../../src/core/metrics-catalog.js";
import type { Store } from "../../src/core/store/index.js";
import { telemetryOf, type AuthFailureReason, type RequestRecord } from "../../src/core/telemetry.js";
import { createApp, type AppDeps } from "../../src/http/create-app.js";
import { openTempStore, type TempStore } from "../support/temp-db.js";

let t: TempStore;
afterEach(() => t?.close());

async function observed(overrides: Partial<Store> = {}, deps: Partial<AppDeps> = {}) {
  t = await openTempStore();
  const { adminKey, tenant } = await t.store.createTenant({ name: "acme" });
  await t.store.createFlag(tenant.id, { keyId: null, name: "test", role: "system" }, { key: "model.a", kind: "boolean" });
  const sdk = await t.store.createKey(tenant.id, { keyId: null, name: "test", role: "system" }, { name: "sdk", role: "sdk", env: "production" });
  const records: RequestRecord[] = [];
  const refused: AuthFailureReason[] = [];
  const reasons: string[] = [];
  const errors: unknown[] = [];
  const telemetry = telemetryOf({
    requestServed: (record) => void records.push(record),
    authFailed: (reason) => void refused.push(reason),
    ofrepEvaluated: (reason) => void reasons.push(reason),
  });
  const app = createApp({ store: { ...t.store, ...overrides }, broadcaster: silentBroadcaster, telemetry, onError: (e) => errors.push(e), ...deps });
  return { app, adminKey, sdkKey: sdk.secret, tenantId: tenant.id, records, refused, reasons, errors };
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe("request records", () => {
  it("gives every request an id, answers it as x-request-id, and reports the route's pattern with tenant and key id", async () => {
    const { app, adminKey, tenantId, records } = await observed();
    // The request's duration on the clock it is timed by: 12.5 ms from its first reading on.
    let readings = 0;
    const clock = vi.spyOn(performance, "now").mockImplementation(() => (readings++ === 0 ? 1_000 : 1_012.5));
    const res = await Promise.resolve(app.request("/v1/flags/model.a", { headers: bearer(adminKey) })).finally(() => clock.mockRestore());
    expect(res.status).toBe(200);
    const id = res.headers.get("x-request-id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ requestId: id, method: "GET", route: "/v1/flags/{key}", status: 200, tenantId, keyId: expect.stringMatching(/^key_/) });
    expect(records[0]!.durationMs).toBe(12.5);
  });

  it("keeps a caller's plain X-Request-Id, and replaces one that is not plain", async () => {
    const { app, records } = await observed();
    expect((await app.request("/healthz", { headers: { "x-request-id": "trace-42.a:b" } })).headers.get("x-request-id")).toBe("trace-42.a:b");
    const odd = await app.request("/healthz", { headers: { "x-request-id": "has space" } });
    expect(odd.headers.get("x-request-id")).not.toBe("has space");
    expect(records.map((r) => r.requestId)).toEqual(["trace-42.a:b", odd.headers.get("x-request-id")]);
  });

  it("reports one record for every kind of answer: a 404, a refused key, a preflight, a 413", async () => {
    const { app, records } = await observed();
    await app.request("/nowhere/at-all");
    await app.request("/v1/flags", { headers: bearer("ks_0000000000_nope") });
    await app.request("/v1/snapshot", { method: "OPTIONS", headers: { origin: "https://app.example", "access-control-request-method": "GET" } });
    await app.request("/v1/flags", { method: "POST", headers: { "content-type": "application/json" }, body: "x".repeat(300 * 1024) });
    expect(records.map(({ route, status }) => [route, status])).toEqual([
      [UNMATCHED_ROUTE, 404],
      ["/v1/flags", 401],
      // Answered by the CORS middleware: no route of the app handles OPTIONS.
      [UNMATCHED_ROUTE, 204],
      ["/v1/flags", 413],
    ]);
  });

  it("reports an unexpected failure once, with its request, and not to onError besides", async () => {
    const { app, adminKey, records, errors } = await observed({ listFlags: () => Promise.reject(new Error("disk on fire")) });
    const res = await app.request("/v1/flags", { headers: bearer(adminKey) });
    expect(res.status).toBe(500);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ requestId: res.headers.get("x-request-id"), status: 500, error: new Error("disk on fire") });
    expect(errors).toEqual([]);
  });
});

describe("refused credentials", () => {
  it("counts a missing, a malformed, an unknown and a revoked key, and a key without the role", async () => {
    const { app, adminKey, refused } = await observed();
    const viewer = await (await app.request("/v1/keys", { method: "POST", headers: { ...bearer(adminKey), "content-type": "application/json" }, body: JSON.stringify({ name: "v", role: "viewer" }) })).json();
    await app.request("/v1/flags");
    await app.request("/v1/flags", { headers: bearer("not-a-key") });
    await app.request("/v1/flags", { headers: bearer(`ks_0000000000_${"A".repeat(43)}`) });
    await app.request(`/v1/keys/${viewer.key.id}`, { method: "DELETE", headers: bearer(adminKey) });
    await app.request("/v1/flags", { headers: bearer(viewer.secret) });
    await app.request("/v1/keys", { headers: bearer(adminKey) }); // allowed: not counted
    const operator = await (await app.request("/v1/keys", { method: "POST", headers: { ...bearer(adminKey), "content-type": "application/json" }, body: JSON.stringify({ name: "o", role: "operator" }) })).json();
    await app.request("/v1/keys", { headers: bearer(operator.secret) });
    expect(refused).toEqual(["missing", "malformed", "unknown", "unknown", "forbidden"]);
  });

  it("counts OFREP's refusals the same way, and its evaluations by reason", async () => {
    const { app, sdkKey, adminKey, refused, reasons } = await observed();
    const ofrep = (path: string, headers: Record<string, string>) =>
      app.request(`/ofrep/v1/evaluate/flags${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: '{"context":{"targetingKey":"u1"}}' });
    await ofrep("/model.a", {});
    await ofrep("/model.a", { "x-api-key": "nonsense" });
    await ofrep("/model.a", bearer(adminKey));
    expect((await ofrep("/model.a", bearer(sdkKey))).status).toBe(200);
    expect((await ofrep("/model.none", bearer(sdkKey))).status).toBe(404);
    expect((await ofrep("", bearer(sdkKey))).status).toBe(200);
    expect(refused).toEqual(["missing", "malformed", "forbidden"]);
    expect(reasons).toEqual(["STATIC", "ERROR", "STATIC"]);
  });
});

describe("metrics routes", () => {
  const metrics = { token: "scrape-token", contentType: "text/plain; version=0.0.4", render: () => "# the text\n" };

  it("answers GET /metrics 404 as an unknown route when the host configured no token", async () => {
    const { app } = await observed();
    const res = await app.request("/metrics", { headers: bearer("anything") });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ detail: "No route GET /metrics." });
  });

  it("answers GET /metrics 401 without the token or with another, 400 to a query, and the text with it", async () => {
    const { app, refused } = await observed({}, { metrics });
    expect((await app.request("/metrics")).status).toBe(401);
    expect((await app.request("/metrics", { headers: bearer("scrape-tokem") })).status).toBe(401);
    expect((await app.request("/metrics", { headers: bearer("scrape-token-and-more") })).status).toBe(401);
    expect((await app.request("/metrics?name=x", { headers: bearer("scrape-token") })).status).toBe(400);
    const ok = await app.request("/metrics", { headers: bearer("scrape-token") });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toBe("text/plain; version=0.0.4");
    expect(await ok.text()).toBe("# the text\n");
    expect(refused).toEqual(["missing", "unknown", "unknown"]);
  });

  it("answers GET /v1/metrics to admin keys only, and 404 on a host without per-tenant metrics", async () => {
    const { app, adminKey, sdkKey } = await observed();
    expect((await app.request("/v1/metrics")).status).toBe(401);
    expect((await app.request("/v1/metrics", { headers: bearer(sdkKey) })).status).toBe(403);
    const none = await app.request("/v1/metrics", { headers: bearer(adminKey) });
    expect(none.status).toBe(404);
    expect((await none.json()).detail).toMatch(/scrape GET \/metrics/);
  });
});
