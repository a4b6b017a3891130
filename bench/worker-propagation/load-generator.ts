/**
 * Drives clients.mjs, the load generator, in a process of its own: plain
 * `node` (no tsx loader), optionally pinned with taskset, talking over IPC.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const CLIENTS = fileURLToPath(new URL("./clients.mjs", import.meta.url));

export interface Ready {
  opened: number;
  synced: number;
  failed: number;
  /** From the first connection attempt until every connection synced or failed. */
  ms: number;
  /** Upgrade answers other than 101, by status line. */
  refusals: Record<string, number>;
}

export interface LoadReport {
  /** Per version, the epoch ms (`performance.timeOrigin + now()`) at which each connection received its patch. */
  recv: Record<string, number[]>;
  opened: number;
  synced: number;
  failed: number;
  snapshots: number;
  patches: number;
  acks: number;
  /** Text frames that were neither snapshot nor patch. */
  others: number;
  /** Connections that closed, by close code ("tcp": no close frame). */
  closes: Record<string, number>;
  refusals: Record<string, number>;
  /** The load generator's CPU time since the flips started. */
  cpuMs: number;
}

export interface LoadGenerator {
  pid: number;
  ready(timeoutMs: number): Promise<Ready>;
  flipsStart(): void;
  report(): Promise<LoadReport>;
  /** Closes every connection and ends the process (SIGKILL after 5 s). */
  stop(): Promise<void>;
}

export interface LoadGeneratorOptions {
  port: number;
  sdkKey: string;
  n: number;
  /** New connections per second. */
  rate: number;
  /** CPU list for taskset, e.g. "1"; unpinned when absent. */
  cpus?: string;
}

export function startLoadGenerator({ port, sdkKey, n, rate, cpus }: LoadGeneratorOptions): LoadGenerator {
  const args = ["--port", String(port), "--key", sdkKey, "--n", String(n), "--rate", String(rate)];
  const child: ChildProcess = cpus
    ? fork(CLIENTS, args, { execPath: "taskset", execArgv: ["-c", cpus, process.execPath] })
    : fork(CLIENTS, args, { execArgv: [] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let running = true;
  void exited.then(() => (running = false));

  const answer = <T>(field: string, timeoutMs: number): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`load generator: no ${field} within ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (message: Record<string, unknown>) => {
        if (message[field] !== undefined) done(null, message[field] as T);
      };
      const onExit = (code: number | null) => done(new Error(`load generator exited (${code}) before sending ${field}`));
      function done(error: Error | null, value?: T) {
        clearTimeout(timer);
        child.off("message", onMessage);
        child.off("exit", onExit);
        if (error) reject(error);
        else resolve(value as T);
      }
      child.on("message", onMessage);
      child.once("exit", onExit);
    });

  return {
    pid: child.pid!,
    ready: (timeoutMs) => answer<Ready>("ready", timeoutMs),
    flipsStart: () => child.send({ cmd: "flipsStart" }),
    report: () => {
      const pending = answer<LoadReport>("report", 30_000);
      child.send({ cmd: "report" });
      return pending;
    },
    async stop() {
      if (!running) return;
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
