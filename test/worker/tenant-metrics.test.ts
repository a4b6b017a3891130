/**
 * A tenant object's metrics, in memory and in its storage: the same names and
 * types as the Node host's prom-client registry, counts that survive
 * hibernation (a new instance over the same storage), and the exposition text
 * as a Prometheus parser reads it. The object itself is exercised under
 * `wrangler dev` in metrics-worker.test.ts.
 */
import { describe, expect, it } from "vitest";
import { METRICS, MAX_ENV_LABELS, OTHER_ENVS } from "../../src/core/metrics-catalog.js";
import { createPrometheusMetrics } from "../../src/node/telemetry/prometheus-metrics.js";
import { renderFamily } from "../../src/worker/prometheus-text.js";
import { TenantMetrics, type MetricsStorage } from "../../src/worker/tenant-metrics.js";
import { parseScrape } from "../support/prometheus.js";

/** The object's synchronous KV as a Map; values are copied as the runtime copies them. */
function memoryStorage() {
  const map = new Map<string, unknown>();
  const storage: MetricsStorage = {
    get: <T>(key: string) => (map.has(key) ? (structuredClone(map.get(key)) as T) : undefined),
    put: (key, value) => void map.set(key, structuredClone(value)),
    list: <T>({ prefix }: { prefix: string }) =>
      [...map].filter(([key]) => key.startsWith(prefix)).map(([key, value]) => [key, structuredClone(value) as T] as [string, T]),
  };
  return { storage, map };
}

function setup(storage = memoryStorage()) {
  const timers: Array<() => void> = [];
  const metrics = new TenantMetrics(storage.storage, { setTimer: (callback) => timers.push(callback) });
  return { metrics, storage, timers, fireTimers: () => timers.splice(0).forEach((callback) => callback()) };
}

const NO_GAUGES = { sdkConnections: new Map<string, number>(), changesIncomplete: 0 };

describe("TenantMetrics", () => {
  it("renders every metric of the catalogue with the names and types the Node host's registry gives them", async () => {
    const { metrics } = setup();
    const worker = parseScrape(metrics.render({ sdkConnections: new Map([["production", 2]]), changesIncomplete: 1 }));
    const node = createPrometheusMetrics();
    node.readStreamGauges({ sdkConnections: () => new Map([["production", 2]]), changesIncomplete: () => 1 });
    const nodeScrape = parseScrape(await node.render());
    const ours = Object.values(METRICS).map((spec) => spec.name);
    expect(worker.names()).toEqual(ours);
    expect(nodeScrape.names().filter((name) => name.startsWith("killswitch_")).sort()).toEqual([...ours].sort());
    for (const name of ours) expect(worker.type(name), name).toBe(nodeScrape.type(name));
    expect(worker.value("killswitch_sdk_connections", { env: "production" })).toBe(2);
    expect(worker.value("killswitch_changes_incomplete")).toBe(1);
  });

  it("counts requests, commits, apply times, OFREP reasons, refused keys, webhook attempts and scheduled changes", () => {
    const { metrics } = setup();
    const t = metrics.telemetry;
    t.requestServed({ requestId: "r1", method: "POST", route: "/ofrep/v1/evaluate/flags/{key}", status: 200, durationMs: 0.8 });
    t.requestServed({ requestId: "r2", method: "POST", route: "/ofrep/v1/evaluate/flags/{key}", status: 200, durationMs: 30 });
    t.changeCommitted({ tenantId: "t", action: "flag.kill", entity: "flag-config", key: "f", versions: [], audit: { seq: 1, hash: "h" }, actor: { keyId: null, role: "operator" }, at: 0 });
    t.changeApplied(0.04);
    t.ofrepEvaluated("DISABLED");
    t.authFailed("unknown");
    t.webhookDelivered("failed");
    t.scheduledChangesDue(3);
    const scrape = parseScrape(metrics.render(NO_GAUGES));
    const route = { route: "/ofrep/v1/evaluate/flags/{key}", method: "POST", status: "200" };
    expect(scrape.count("killswitch_http_request_duration_seconds", route)).toBe(2);
    expect(scrape.value("killswitch_changes_committed_total", { action: "flag.kill" })).toBe(1);
    expect(scrape.count("killswitch_change_apply_seconds")).toBe(1);
    expect(scrape.value("killswitch_ofrep_evaluations_total", { reason: "DISABLED" })).toBe(1);
    expect(scrape.value("killswitch_ofrep_evaluations_total", { reason: "STATIC" })).toBe(0);
    expect(scrape.labels("killswitch_ofrep_evaluations_total")).toContainEqual({ reason: "STATIC" });
    expect(scrape.value("killswitch_auth_failures_total", { reason: "unknown" })).toBe(1);
    expect(scrape.value("killswitch_webhook_deliveries_total", { outcome: "failed" })).toBe(1);
    expect(scrape.value("killswitch_scheduled_changes_due")).toBe(3);
  });

  it("puts an observation in the first bucket whose bound holds it, cumulatively as Prometheus reads buckets", () => {
    const { metrics } = setup();
    metrics.telemetry.changeApplied(0.004); // ≤ 0.005
    metrics.telemetry.changeApplied(0.2); // ≤ 0.25
    metrics.telemetry.changeApplied(120); // over the last bound: +Inf only
    const text = metrics.render(NO_GAUGES);
    expect(text).toContain('killswitch_change_apply_seconds_bucket{le="0.005"} 1\n');
    expect(text).toContain('killswitch_change_apply_seconds_bucket{le="0.1"} 1\n');
    expect(text).toContain('killswitch_change_apply_seconds_bucket{le="0.25"} 2\n');
    expect(text).toContain('killswitch_change_apply_seconds_bucket{le="60"} 2\n');
    expect(text).toContain('killswitch_change_apply_seconds_bucket{le="+Inf"} 3\n');
    expect(parseScrape(text).count("killswitch_change_apply_seconds")).toBe(3);
  });

  it("keeps its counts across hibernation: a new instance over the same storage continues them", () => {
    const storage = memoryStorage();
    const first = setup(storage);
    first.metrics.telemetry.authFailed("missing");
    first.metrics.telemetry.authFailed("missing");
    expect(storage.map.size).toBe(0); // nothing written per event
    first.fireTimers();
    const second = setup(storage);
    second.metrics.telemetry.authFailed("missing");
    expect(parseScrape(second.metrics.render(NO_GAUGES)).value("killswitch_auth_failures_total", { reason: "missing" })).toBe(3);
  });

  it("writes what a scrape shows before showing it, so an eviction never lowers a counter a scraper has seen", () => {
    const storage = memoryStorage();
    const first = setup(storage);
    first.metrics.telemetry.ofrepEvaluated("SPLIT");
    expect(parseScrape(first.metrics.render(NO_GAUGES)).value("killswitch_ofrep_evaluations_total", { reason: "SPLIT" })).toBe(1);
    // Evicted before its timer fired: the next instance still has the count.
    expect(parseScrape(setup(storage).metrics.render(NO_GAUGES)).value("killswitch_ofrep_evaluations_total", { reason: "SPLIT" })).toBe(1);
  });

  it("writes each series that moved once per flush, not once per event", () => {
    const storage = memoryStorage();
    const { metrics, timers, fireTimers } = setup(storage);
    for (let i = 0; i < 100; i++) metrics.telemetry.ofrepEvaluated("STATIC");
    expect(timers).toHaveLength(1);
    fireTimers();
    expect([...storage.map.keys()]).toEqual(['metrics/ofrepEvaluations/["STATIC"]']);
  });

  it("writes nothing once discarded (a refused tenant creation leaves no storage)", () => {
    const storage = memoryStorage();
    const { metrics, fireTimers } = setup(storage);
    metrics.telemetry.requestServed({ requestId: "r", method: "POST", route: "/v1/tenants", status: 400, durationMs: 2 });
    metrics.discard();
    fireTimers();
    metrics.telemetry.authFailed("missing");
    fireTimers();
    expect(storage.map.size).toBe(0);
  });

  it(`reports at most ${MAX_ENV_LABELS} environments, the connections of the rest under "${OTHER_ENVS}"`, () => {
    const { metrics } = setup();
    const connections = new Map(Array.from({ length: 60 }, (_, i) => [`env-${String(i).padStart(2, "0")}`, i + 1] as const));
    const scrape = parseScrape(metrics.render({ sdkConnections: connections, changesIncomplete: 0 }));
    const labels = scrape.labels("killswitch_sdk_connections");
    expect(labels).toHaveLength(MAX_ENV_LABELS);
    expect(scrape.value("killswitch_sdk_connections", { env: "env-59" })).toBe(60);
    // The eleven smallest environments (1 to 11 connections) are summed.
    expect(scrape.value("killswitch_sdk_connections", { env: OTHER_ENVS })).toBe(66);
  });
});

describe("renderFamily", () => {
  it("escapes label values so that a parser reads them back as given", () => {
    const spec = { name: "x_total", help: "a \\ help\nline", type: "counter" as const, labels: ["route"] };
    const text = renderFamily(spec, [{ labels: ['/a "quoted" \\ path\n'], value: 2 }]);
    expect(parseScrape(text).labels("x_total")).toEqual([{ route: '/a "quoted" \\ path\n' }]);
    expect(parseScrape(text).value("x_total", { route: '/a "quoted" \\ path\n' })).toBe(2);
  });
});
