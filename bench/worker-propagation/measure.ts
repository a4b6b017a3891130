/**
 * One measurement: a fresh `wrangler dev`, a fresh tenant, N SDK connections
 * from the load generator, warm-up and measured flips, then the server's
 * receipts. Flip → applied is, per connection, the time its patch arrived
 * minus the time the admin request was sent: both clocks are
 * `performance.timeOrigin + performance.now()` of processes on this machine.
 */
import { loadavg } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { startWranglerDev, type WranglerDev } from "../../test/support/wrangler-dev.js";
import { createBenchTenant, flip, receipt, type Flip, type Receipt } from "./admin-api.js";
import { startLoadGenerator, type LoadGenerator, type LoadReport, type Ready } from "./load-generator.js";
import { descendantCpu, listeningPorts, machineCpu, pin, workerdProcesses, type ProcInfo } from "./processes.js";
import { median, stats, type Stats } from "./stats.js";

/**
 * `proxy`: through the port `wrangler dev` prints, served by its proxy worker.
 * `direct`: straight to the socket of the workerd that runs the Worker, which
 * shows what the proxy (absent on Cloudflare) adds.
 */
export type Path = "proxy" | "direct";

export interface MeasureOptions {
  n: number;
  path: Path;
  rootToken: string;
  /** New connections per second. */
  rate: number;
  flips: number;
  warm: number;
  gapMs: number;
  /** Idle time between the last snapshot and the first flip. */
  idleMs: number;
  /** How long the receipts may take to become complete after the last flip. */
  receiptTimeoutMs: number;
  /** Both workerd processes on CPU 0 and the load generator on CPU 1, as the floor pins. */
  pin: boolean;
  /** Things that must be stopped if the run is interrupted. */
  onStarted(stop: () => Promise<void>): void;
  log(line: string): void;
}

export interface FlipResult {
  version: number;
  kind: "kill" | "restore";
  answerMs: number;
  receive: Stats | null;
  /** Connections that never received this patch. */
  missing: number;
  /** Last receive − first receive. */
  spreadMs: number | null;
  receipt: Receipt | null;
  /** From the first poll of this receipt until it was complete; null when it never was. */
  receiptCompleteAfterMs: number | null;
}

export interface MeasureResult {
  n: number;
  path: Path;
  /** Why this run does not measure flips alone (wrangler restarted the Worker); null when clean. */
  disturbed: string | null;
  ready: Ready;
  pinned: boolean;
  load: { before: number; after: number };
  flips: FlipResult[];
  /** Pooled over every measured flip and connection. */
  receive: Stats | null;
  /** Median over the flips of each flip's own receive p99. */
  receiveP99PerFlipMedian: number | null;
  missing: number;
  answer: Stats | null;
  receipts: {
    p50Median: number | null;
    p99Median: number | null;
    p99Max: number | null;
    max: number | null;
    acked: number;
    connected: number;
    complete: number;
    /** Receipts that could not be read. */
    unreadable: number;
  };
  cpu: {
    flipPhaseMs: number;
    proxyWorkerdMs: number | null;
    runtimeWorkerdMs: number | null;
    loadGeneratorMs: number;
    /** This process: the admin requests. */
    benchMs: number;
    /** Our other processes: wrangler's node processes, tsx's esbuild. */
    wranglerAndOthersMs: number;
    /** The machine's busy time during the flip phase that none of our processes used: noise. */
    foreignMs: number | null;
    stealMs: number | null;
  };
  loadGenerator: Omit<LoadReport, "recv">;
}

export async function measure(o: MeasureOptions): Promise<MeasureResult> {
  let dev: WranglerDev | null = null;
  let load: LoadGenerator | null = null;
  const stopAll = async () => {
    await load?.stop();
    await dev?.stop();
  };
  o.onStarted(stopAll);
  try {
    dev = await startWranglerDev({ vars: { KILLSWITCH_ROOT_TOKEN: o.rootToken }, startTimeoutMs: 30_000 });
    const devPort = Number(new URL(dev.url).port);
    const workerd = workerdProcesses(devPort);
    const pinned = o.pin && [workerd.proxy, workerd.runtime].every((pid) => pid !== null && pin(pid, "0"));
    const port = o.path === "proxy" ? devPort : await directPort(workerd.runtime);
    const baseUrl = `http://127.0.0.1:${port}`;
    o.log(`N=${o.n} ${o.path}: ${baseUrl} (workerd proxy ${workerd.proxy}, runtime ${workerd.runtime}${pinned ? ", pinned to CPU 0" : ""})`);

    const tenant = await createBenchTenant(baseUrl, o.rootToken, `bench ${o.n}`);
    load = startLoadGenerator({ port, sdkKey: tenant.sdk, n: o.n, rate: o.rate, cpus: pinned ? "1" : undefined });
    const ready = await load.ready((o.n / o.rate) * 1000 + 60_000).catch(async (error: Error) => {
      const counts = await load!.report().catch(() => null);
      const restarted = workerdProcesses(devPort).runtime !== workerd.runtime ? " (the Worker's workerd restarted)" : "";
      throw new Error(`${error.message}${restarted}: ${JSON.stringify(counts && { ...counts, recv: undefined })}`);
    });
    o.log(`N=${o.n} ${o.path}: ${ready.synced} synced, ${ready.failed} failed in ${ready.ms} ms`);
    if (ready.synced === 0) throw new Error(`no connection synced: ${JSON.stringify(ready)}`);
    await sleep(o.idleMs);

    const loadBefore = loadavg()[0]!;
    load.flipsStart();
    const cpu0 = { procs: descendantCpu(), machine: machineCpu(), self: process.cpuUsage(), t: performance.now() };
    let kill = true;
    for (let i = 0; i < o.warm; i++, kill = !kill) {
      await flip(baseUrl, tenant.admin, kill);
      await sleep(o.gapMs);
    }
    const measured: (Flip & { kind: "kill" | "restore" })[] = [];
    for (let i = 0; i < o.flips; i++, kill = !kill) {
      measured.push({ ...(await flip(baseUrl, tenant.admin, kill)), kind: kill ? "kill" : "restore" });
      await sleep(o.gapMs);
    }
    await sleep(1_000); // the last patches and acks land
    const self = process.cpuUsage(cpu0.self);
    const cpu1 = { procs: descendantCpu(), machine: machineCpu(), t: performance.now() };
    const loadAfter = loadavg()[0]!;
    const report = await load.report();

    // The server's receipts, read after the flips so that polling adds no load during them.
    const receipts = await pollReceipts(baseUrl, tenant.admin, measured.map((f) => f.version), o.receiptTimeoutMs);
    await load.stop();
    // wrangler dev rebuilds and restarts the Worker's workerd whenever a source file it bundles
    // changes (4.86.0 cannot turn that watcher off), which drops every socket (and, on the direct
    // path, the port): such a run measures a restart, not flips.
    const after = workerdProcesses(devPort);
    const disturbed =
      after.runtime !== workerd.runtime || after.proxy !== workerd.proxy
        ? "wrangler dev restarted the Worker during the run (a source file changed)"
        : null;

    const flips: FlipResult[] = measured.map((f, i) => {
      const times = report.recv[f.version] ?? [];
      return {
        version: f.version,
        kind: f.kind,
        answerMs: f.answerMs,
        receive: stats(times.map((t) => t - f.sentAt)),
        missing: report.synced - times.length,
        spreadMs: times.length ? Math.max(...times) - Math.min(...times) : null,
        receipt: receipts[i]!.receipt,
        receiptCompleteAfterMs: receipts[i]!.completeAfterMs,
      };
    });
    const pooled = measured.flatMap((f) => (report.recv[f.version] ?? []).map((t) => t - f.sentAt));
    const readable = flips.map((f) => f.receipt).filter((r) => r !== null);
    const num = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null);
    const used = cpuUsed(cpu0.procs, cpu1.procs);
    const proxyMs = workerd.proxy === null ? null : (used.get(workerd.proxy) ?? null);
    const runtimeMs = workerd.runtime === null ? null : (used.get(workerd.runtime) ?? null);
    let othersMs = 0; // wrangler's node processes, tsx's esbuild: ours, not the server's
    for (const [pid, ms] of used) if (pid !== workerd.proxy && pid !== workerd.runtime && pid !== load.pid) othersMs += ms;
    const selfMs = (self.user + self.system) / 1000;
    const { recv: _recv, ...counters } = report;
    return {
      n: o.n,
      path: o.path,
      disturbed,
      ready,
      pinned,
      load: { before: loadBefore, after: loadAfter },
      flips,
      receive: stats(pooled),
      receiveP99PerFlipMedian: median(num(flips.map((f) => f.receive?.p99 ?? null))),
      missing: flips.reduce((sum, f) => sum + f.missing, 0),
      answer: stats(flips.map((f) => f.answerMs)),
      receipts: {
        p50Median: median(num(readable.map((r) => r.latencyMs.p50))),
        p99Median: median(num(readable.map((r) => r.latencyMs.p99))),
        p99Max: maxOf(num(readable.map((r) => r.latencyMs.p99))),
        max: maxOf(num(readable.map((r) => r.latencyMs.max))),
        acked: readable.reduce((sum, r) => sum + r.acked, 0),
        connected: readable.reduce((sum, r) => sum + r.connected, 0),
        complete: readable.filter((r) => r.complete).length,
        unreadable: flips.length - readable.length,
      },
      cpu: {
        flipPhaseMs: Math.round(cpu1.t - cpu0.t),
        proxyWorkerdMs: proxyMs,
        runtimeWorkerdMs: runtimeMs,
        loadGeneratorMs: report.cpuMs,
        benchMs: Math.round(selfMs),
        wranglerAndOthersMs: othersMs,
        foreignMs:
          cpu0.machine && cpu1.machine
            ? Math.max(0, Math.round(cpu1.machine.busyMs - cpu0.machine.busyMs - (proxyMs ?? 0) - (runtimeMs ?? 0) - othersMs - report.cpuMs - selfMs))
            : null,
        stealMs: cpu0.machine && cpu1.machine ? cpu1.machine.stealMs - cpu0.machine.stealMs : null,
      },
      loadGenerator: counters,
    };
  } finally {
    await stopAll();
  }
}

/** The port of the Worker's own workerd that answers `/healthz` (its entry socket, not the inspector's). */
async function directPort(runtime: number | null): Promise<number> {
  for (const port of runtime === null ? [] : listeningPorts(runtime)) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok && (await response.text()) === '{"ok":true}') return port;
    } catch {
      // not an HTTP socket
    }
  }
  throw new Error("no socket of the Worker's workerd answers /healthz");
}

/** CPU ms each process used between two readings (processes present in both). */
function cpuUsed(before: Map<number, ProcInfo>, after: Map<number, ProcInfo>): Map<number, number> {
  const out = new Map<number, number>();
  for (const [pid, p] of after) {
    const b = before.get(pid);
    if (b !== undefined && b.comm === p.comm) out.set(pid, p.cpuMs - b.cpuMs);
  }
  return out;
}

const maxOf = (xs: number[]) => (xs.length ? Math.max(...xs) : null);

/** Polls each version's receipt until it is complete or the time is up; keeps the last answer. */
async function pollReceipts(
  baseUrl: string,
  admin: string,
  versions: number[],
  timeoutMs: number,
): Promise<{ receipt: Receipt | null; completeAfterMs: number | null }[]> {
  const deadline = performance.now() + timeoutMs;
  const out: { receipt: Receipt | null; completeAfterMs: number | null }[] = [];
  for (const version of versions) {
    const start = performance.now();
    let last: Receipt | null = null;
    for (;;) {
      try {
        last = await receipt(baseUrl, admin, version);
      } catch {
        last = null;
      }
      if (last?.complete) {
        out.push({ receipt: last, completeAfterMs: Math.round(performance.now() - start) });
        break;
      }
      if (performance.now() > deadline) {
        out.push({ receipt: last, completeAfterMs: null });
        break;
      }
      await sleep(200);
    }
  }
  return out;
}
