/**
 * One tenant's metrics, counted by its Durable Object: the same names and
 * labels as the Node host (src/core/metrics-catalog.ts), without the process
 * metrics a Worker has none of, served at `GET /v1/metrics` to the tenant's
 * admin keys.
 *
 * The object may hibernate or be evicted whenever it is idle, so counts live in
 * the object's synchronous KV as well as in memory, one entry per series, and
 * never reset: a scrape sees the same counter grow across hibernation and
 * deploys. Writes are per series, never per request: a one-shot timer writes
 * the series that moved `flushDelayMs` after the first of them, as the receipt
 * ledger does (durable-receipt-ledger.ts), and at every scrape. An eviction inside that
 * window loses those increments only, never a count a scrape has seen.
 *
 * Gauges (connections by environment, incomplete changes) are read from the
 * hub and the receipts' tracker at each scrape; the scheduled changes gauge is set
 * through the telemetry, and kept like a counter.
 */
import { METRICS, ZERO_SERIES, capEnvLabels, type MetricSpec } from "../core/metrics-catalog.js";
import { telemetryOf, type Telemetry } from "../core/telemetry.js";
import { renderFamily, type Series, type SeriesValue } from "./prometheus-text.js";

/** The object's synchronous KV (`ctx.storage.kv`), or a Map-backed stand-in in tests. */
export interface MetricsStorage {
  get<T = unknown>(key: string): T | undefined;
  put<T>(key: string, value: T): void;
  list<T = unknown>(options: { prefix: string }): Iterable<[string, T]>;
}

export interface TenantMetricsOptions {
  /** Delay between the first unsaved change and the write. Default 1,000 ms. */
  flushDelayMs?: number;
  setTimer?: (callback: () => void, ms: number) => unknown;
}

/** What a scrape reads at its time. */
export interface ScrapeGauges {
  sdkConnections: ReadonlyMap<string, number>;
  changesIncomplete: number;
}

type Name = keyof typeof METRICS;

const PREFIX = "metrics/";

export class TenantMetrics {
  readonly #storage: MetricsStorage;
  readonly #flushDelayMs: number;
  readonly #setTimer: (callback: () => void, ms: number) => unknown;
  /** Per metric, its series by storage key; filled from storage on first use after a wake. */
  #series: Map<Name, Map<string, Series>> | undefined;
  readonly #unsaved = new Set<string>();
  #flushScheduled = false;
  /** Set when the object turned out not to be a tenant: nothing more is written. */
  #discarded = false;
  readonly telemetry: Telemetry;

  constructor(storage: MetricsStorage, options: TenantMetricsOptions = {}) {
    this.#storage = storage;
    this.#flushDelayMs = options.flushDelayMs ?? 1_000;
    this.#setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
    const add = (name: Name, labels: string[], by = 1) => this.#add(name, labels, by);
    this.telemetry = telemetryOf({
      requestServed: ({ route, method, status, durationMs }) => this.#observe("httpRequestSeconds", [route, method, String(status)], durationMs / 1000),
      changeCommitted: ({ action }) => add("changesCommitted", [action]),
      changeApplied: (seconds) => this.#observe("changeApplySeconds", [], seconds),
      ofrepEvaluated: (reason) => add("ofrepEvaluations", [reason]),
      authFailed: (reason) => add("authFailures", [reason]),
      webhookDelivered: (outcome) => add("webhookDeliveries", [outcome]),
      scheduledChangesDue: (count) => this.#set("scheduledChangesDue", [], count),
    });
  }

  /**
   * Every metric in the exposition format, the gauges read now. What the scrape
   * sees is written first, so that no later eviction shows a scraper a counter
   * lower than one it has seen.
   */
  render(gauges: ScrapeGauges): string {
    this.flush();
    const series = this.#load();
    const out: string[] = [];
    for (const [name, spec] of Object.entries(METRICS) as [Name, MetricSpec][]) {
      if (name === "sdkConnections") {
        out.push(renderFamily(spec, [...capEnvLabels(gauges.sdkConnections)].map(([env, n]) => ({ labels: [env], value: n }))));
      } else if (name === "changesIncomplete") {
        out.push(renderFamily(spec, [{ labels: [], value: gauges.changesIncomplete }]));
      } else {
        out.push(renderFamily(spec, withZeros(name, spec, series.get(name))));
      }
    }
    return out.join("");
  }

  /** Forgets what is not written yet and writes nothing more (a refused tenant creation leaves no storage). */
  discard(): void {
    this.#discarded = true;
    this.#unsaved.clear();
  }

  /** Writes every series that moved since the last write. */
  flush(): void {
    this.#flushScheduled = false;
    if (this.#discarded) return;
    const series = this.#load();
    for (const key of this.#unsaved) {
      const name = key.slice(PREFIX.length, key.indexOf("/", PREFIX.length)) as Name;
      const found = series.get(name)?.get(key);
      if (found !== undefined) this.#storage.put(key, found);
    }
    this.#unsaved.clear();
  }

  #add(name: Name, labels: string[], by: number): void {
    const series = this.#seriesOf(name, labels, () => 0);
    series.value = (series.value as number) + by;
  }

  #set(name: Name, labels: string[], value: number): void {
    this.#seriesOf(name, labels, () => 0).value = value;
  }

  #observe(name: "httpRequestSeconds" | "changeApplySeconds", labels: string[], seconds: number): void {
    const bounds = METRICS[name].buckets;
    const series = this.#seriesOf(name, labels, () => ({ buckets: new Array<number>(bounds.length).fill(0), sum: 0, count: 0 }));
    const histogram = series.value as Exclude<SeriesValue, number>;
    const i = bounds.findIndex((bound) => seconds <= bound);
    if (i >= 0) histogram.buckets[i]! += 1;
    histogram.sum += seconds;
    histogram.count += 1;
  }

  /** The series of `name` with `labels`, created with `initial` if new, and marked for the next write. */
  #seriesOf(name: Name, labels: string[], initial: () => SeriesValue): Series & { value: SeriesValue } {
    const key = `${PREFIX}${name}/${JSON.stringify(labels)}`;
    const family = mapOf(this.#load(), name);
    let series = family.get(key) as (Series & { value: SeriesValue }) | undefined;
    if (series === undefined) family.set(key, (series = { labels, value: initial() }));
    this.#unsaved.add(key);
    if (!this.#flushScheduled && !this.#discarded) {
      this.#flushScheduled = true;
      this.#setTimer(() => this.flush(), this.#flushDelayMs);
    }
    return series;
  }

  #load(): Map<Name, Map<string, Series>> {
    if (this.#series !== undefined) return this.#series;
    const all = new Map<Name, Map<string, Series>>();
    for (const [key, series] of this.#storage.list<Series>({ prefix: PREFIX })) {
      const name = key.slice(PREFIX.length, key.indexOf("/", PREFIX.length));
      if (name in METRICS) mapOf(all, name as Name).set(key, series);
    }
    return (this.#series = all);
  }
}

function mapOf(all: Map<Name, Map<string, Series>>, name: Name): Map<string, Series> {
  let family = all.get(name);
  if (family === undefined) all.set(name, (family = new Map()));
  return family;
}

/** The stored series, with the fixed label values not seen yet as 0, and a gauge without labels at 0. */
function withZeros(name: Name, spec: MetricSpec, stored: Map<string, Series> | undefined): Series[] {
  const out = [...(stored?.values() ?? [])];
  const zeros = (ZERO_SERIES as Partial<Record<Name, { values: readonly string[] }>>)[name];
  for (const value of zeros?.values ?? []) {
    if (!out.some((series) => series.labels[0] === value)) out.push({ labels: [value], value: 0 });
  }
  if (spec.labels.length === 0 && out.length === 0) {
    const empty = { buckets: new Array<number>(spec.buckets?.length ?? 0).fill(0), sum: 0, count: 0 };
    out.push({ labels: [], value: spec.type === "histogram" ? empty : 0 });
  }
  return out;
}
