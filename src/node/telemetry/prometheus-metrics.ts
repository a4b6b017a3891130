/**
 * The Node host's metrics: prom-client, in a registry of the server's own
 * (several servers in one process, as in the tests, never share counts), with
 * the process's default metrics (`process_*`, `nodejs_*`) and the service's
 * (src/core/metrics-catalog.ts). Counters and histograms move through the
 * {@link Telemetry} they implement; gauges are read from their sources at each
 * scrape, so they never drift from what the hub and tracker hold.
 *
 * Other parts of the host report through `telemetry` as well:
 *   telemetry.webhookDelivered("delivered" | "failed" | "abandoned")  — each delivery attempt
 *   telemetry.scheduledChangesDue(count)                              — whenever the count is read
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { METRICS, ZERO_SERIES, capEnvLabels, type MetricSpec } from "../../core/metrics-catalog.js";
import { telemetryOf, type Telemetry } from "../../core/telemetry.js";
import type { StreamGauges } from "../stream-host.js";

export interface PrometheusMetrics {
  readonly telemetry: Telemetry;
  readonly contentType: string;
  /** The exposition text of every metric. */
  render(): Promise<string>;
  /** Where the stream gauges are read from at each scrape (the socket layer, once it exists). */
  readStreamGauges(source: StreamGauges): void;
  readonly registry: Registry;
}

export function createPrometheusMetrics(): PrometheusMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let stream: StreamGauges | undefined;

  const config = <S extends MetricSpec>(spec: S) => ({
    name: spec.name,
    help: spec.help,
    labelNames: [...spec.labels] as S["labels"][number][],
    registers: [registry],
  });

  new Gauge({
    ...config(METRICS.sdkConnections),
    collect() {
      this.reset();
      for (const [env, count] of capEnvLabels(stream?.sdkConnections() ?? new Map())) this.set({ env }, count);
    },
  });
  const changesCommitted = new Counter(config(METRICS.changesCommitted));
  const changeApplySeconds = new Histogram({ ...config(METRICS.changeApplySeconds), buckets: [...METRICS.changeApplySeconds.buckets] });
  new Gauge({
    ...config(METRICS.changesIncomplete),
    collect() {
      this.set(stream?.changesIncomplete() ?? 0);
    },
  });
  const ofrepEvaluations = new Counter(config(METRICS.ofrepEvaluations));
  const authFailures = new Counter(config(METRICS.authFailures));
  const httpRequestSeconds = new Histogram({ ...config(METRICS.httpRequestSeconds), buckets: [...METRICS.httpRequestSeconds.buckets] });
  const webhookDeliveries = new Counter(config(METRICS.webhookDeliveries));
  const scheduledChangesDue = new Gauge(config(METRICS.scheduledChangesDue));

  for (const reason of ZERO_SERIES.ofrepEvaluations.values) ofrepEvaluations.inc({ reason }, 0);
  for (const reason of ZERO_SERIES.authFailures.values) authFailures.inc({ reason }, 0);
  for (const outcome of ZERO_SERIES.webhookDeliveries.values) webhookDeliveries.inc({ outcome }, 0);
  scheduledChangesDue.set(0);

  // prom-client hashes the label object on every call; the request path keeps one child per series instead.
  const requestSeries = new Map<string, Histogram.Internal<string>>();
  const ofrepSeries = new Map<string, Counter.Internal>();

  const telemetry: Telemetry = telemetryOf({
    requestServed({ route, method, status, durationMs }) {
      const id = `${method} ${status} ${route}`;
      let series = requestSeries.get(id);
      if (series === undefined) requestSeries.set(id, (series = httpRequestSeconds.labels(route, method, String(status))));
      series.observe(durationMs / 1000);
    },
    changeCommitted({ action }) {
      changesCommitted.inc({ action });
    },
    changeApplied(seconds) {
      changeApplySeconds.observe(seconds);
    },
    ofrepEvaluated(reason) {
      let series = ofrepSeries.get(reason);
      if (series === undefined) ofrepSeries.set(reason, (series = ofrepEvaluations.labels(reason)));
      series.inc();
    },
    authFailed(reason) {
      authFailures.inc({ reason });
    },
    webhookDelivered(outcome) {
      webhookDeliveries.inc({ outcome });
    },
    scheduledChangesDue(count) {
      scheduledChangesDue.set(count);
    },
  });

  return {
    telemetry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    readStreamGauges: (source) => {
      stream = source;
    },
    registry,
  };
}
