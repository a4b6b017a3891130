/**
 * The same comparison without sockets: the product's app (`createApp` over a
 * store on a libsql file, composed as `startServer` composes it) answers the
 * OFREP route through `app.fetch` in this process, three ways, and the CPU time
 * this process spends per request (`process.cpuUsage`, which includes the
 * threads pino's file writes run on) is the figure. No HTTP parsing, no kernel,
 * no load generator: what is left is the app's own work, and the difference
 * between the variants is what metrics and logs add to it. Other processes on
 * a shared machine slow this down and add noise to the CPU time, so the
 * variants take turns in many short rounds and the medians are compared.
 */
import { hash } from "node:crypto";
import { join } from "node:path";
import { pino } from "pino";
import { silentBroadcaster } from "../../src/core/broadcaster.js";
import { createStore } from "../../src/core/store/index.js";
import { combineTelemetry, type Telemetry } from "../../src/core/telemetry.js";
import type { MetricsExport } from "../../src/http/app-env.js";
import { createApp, type App } from "../../src/http/create-app.js";
import { openDatabase } from "../../src/node/database.js";
import { logTelemetry } from "../../src/node/telemetry/log-telemetry.js";
import { createLogger, flushLogger, type Logger } from "../../src/node/telemetry/logger.js";
import { createPrometheusMetrics } from "../../src/node/telemetry/prometheus-metrics.js";
import { median } from "../eval/measure.js";
import { OFREP_PATH } from "../ofrep/ofrep-requests.js";
import { seedProduct } from "../ofrep/seed-product.js";

export interface InProcessVariant {
  name: string;
  /** CPU µs per request, one per round. */
  cpuPerRequest: number[];
}

interface Subject extends InProcessVariant {
  app: App;
  headers: Record<string, string>;
  close(): Promise<void>;
}

const ROOT = "in-process-root-token";

async function subject(name: string, dir: string, reporting: "none" | "metrics" | "metrics+logs"): Promise<Subject> {
  const database = await openDatabase(`file:${join(dir, `${reporting}.db`)}`);
  const metrics = reporting === "none" ? null : createPrometheusMetrics();
  let logger: Logger | undefined;
  if (reporting === "metrics+logs") {
    logger = await createLogger({ level: "info", format: "json", destination: pino.destination({ dest: join(dir, "in-process.log"), sync: false }) });
  }
  const telemetry: Telemetry | undefined = reporting === "none" ? undefined : combineTelemetry(metrics?.telemetry, logger && logTelemetry(logger));
  const store = createStore({
    db: database.db,
    executor: database.executor,
    broadcaster: silentBroadcaster,
    sha256: (text) => hash("sha256", text, "hex"),
    telemetry,
    onBackgroundError: () => {},
  });
  const exported: MetricsExport | undefined = metrics ? { token: "t", contentType: metrics.contentType, render: metrics.render } : undefined;
  const app = createApp({ store, broadcaster: silentBroadcaster, rootToken: ROOT, telemetry, metrics: exported, onError: () => {} });
  // seedProduct speaks HTTP to a base URL: route its fetches to this app.
  const { sdkKey } = await withAppFetch(app, () => seedProduct("http://in-process", ROOT));
  return {
    name,
    app,
    headers: { authorization: `Bearer ${sdkKey}`, "content-type": "application/json" },
    cpuPerRequest: [],
    close: async () => {
      await store.flushKeyUses();
      if (logger) await flushLogger(logger);
      database.close();
    },
  };
}

async function withAppFetch<T>(app: App, work: () => Promise<T>): Promise<T> {
  const real = globalThis.fetch;
  globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => app.fetch(new Request(input, init))) as typeof fetch;
  try {
    return await work();
  } finally {
    globalThis.fetch = real;
  }
}

/** Answers `count` OFREP requests, `concurrency` at a time; returns CPU µs per request. */
async function measure(s: Subject, bodies: string[], count: number, concurrency = 50): Promise<number> {
  const url = `http://in-process${OFREP_PATH}`;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const body = bodies[next++ % bodies.length]!;
      const res = await s.app.fetch(new Request(url, { method: "POST", headers: s.headers, body }));
      if (res.status !== 200) throw new Error(`${s.name}: OFREP answered ${res.status}`);
      await res.arrayBuffer();
    }
  };
  const before = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / count;
}

export async function measureInProcess(options: { dir: string; bodies: string[]; requests: number; rounds: number }): Promise<InProcessVariant[]> {
  const subjects = [
    await subject("nothing reported", options.dir, "none"),
    await subject("metrics", options.dir, "metrics"),
    await subject("metrics + JSON log", options.dir, "metrics+logs"),
  ];
  try {
    for (const s of subjects) await measure(s, options.bodies, 20_000); // warm-up: JIT, caches
    for (let round = 0; round < options.rounds; round++) {
      for (let i = 0; i < subjects.length; i++) {
        const s = subjects[(i + round) % subjects.length]!;
        s.cpuPerRequest.push(await measure(s, options.bodies, options.requests));
        console.error(`in-process round ${round + 1}/${options.rounds} ${s.name}: ${s.cpuPerRequest.at(-1)!.toFixed(1)} µs CPU per request`);
      }
    }
  } finally {
    for (const s of subjects) await s.close();
  }
  return subjects.map(({ name, cpuPerRequest }) => ({ name, cpuPerRequest }));
}

export const medianCpu = (v: InProcessVariant): number => median(v.cpuPerRequest);
