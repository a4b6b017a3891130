/**
 * Runs the Worker host under `wrangler dev` (workerd, local and offline) for
 * tests: a child process on a free port of 127.0.0.1 with its own state
 * directory, ready once `/healthz` answers.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export interface WranglerDev {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Where workerd keeps the Durable Objects' SQLite files (`--persist-to`). */
  persistDir: string;
  /** Everything wrangler printed so far, for assertion messages. */
  output(): string;
  /** Kills wrangler and workerd (the whole process group); safe to call twice. */
  stop(): Promise<void>;
}

export interface WranglerDevOptions {
  /** Another wrangler.toml (absolute path); default: the service's own at the repository root. */
  config?: string;
  /** Variables and secrets for the Worker, passed as `--var KEY:VALUE`. */
  vars?: Record<string, string>;
  /** Reuse a state directory (to restart over the same data); a fresh temp dir otherwise. */
  persistDir?: string;
  /** wrangler's `--log-level`; default warn. `log` shows the Worker's own console lines. */
  logLevel?: "warn" | "log" | "info" | "debug";
  /** How long to wait for `/healthz`; workerd starts in about 3 s here, much slower on a loaded CI box. */
  startTimeoutMs?: number;
}

const root = fileURLToPath(new URL("../../", import.meta.url));
const wranglerBin = fileURLToPath(new URL("../../node_modules/wrangler/bin/wrangler.js", import.meta.url));

/** The environment that keeps wrangler and miniflare off the network. */
export const OFFLINE_ENV = {
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  DO_NOT_TRACK: "1",
} as const;

export async function startWranglerDev(options: WranglerDevOptions = {}): Promise<WranglerDev> {
  const ownsPersistDir = options.persistDir === undefined;
  const persistDir = options.persistDir ?? (await mkdtemp(join(tmpdir(), "killswitch-wrangler-")));
  const [port, inspectorPort] = await Promise.all([freePort(), freePort()]);
  const args = [
    wranglerBin, "dev",
    ...(options.config ? ["--config", options.config] : []),
    "--ip", "127.0.0.1",
    "--port", String(port),
    // The default inspector port (9229) would collide between parallel test files.
    "--inspector-port", String(inspectorPort),
    "--persist-to", persistDir,
    "--show-interactive-dev-session=false",
    "--log-level", options.logLevel ?? "warn",
    ...Object.entries(options.vars ?? {}).flatMap(([key, value]) => ["--var", `${key}:${value}`]),
  ];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...OFFLINE_ENV, WRANGLER_LOG_PATH: join(persistDir, "logs"), NO_COLOR: "1" },
    // Its own process group, so that stop() reaches workerd, which wrangler spawns.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let running = true;
  void exited.then(() => (running = false));

  const killGroup = (signal: NodeJS.Signals) => {
    if (!running || child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  // If the test process dies without calling stop(), do not leave workerd behind.
  const onExit = () => killGroup("SIGKILL");
  process.once("exit", onExit);

  const stop = async () => {
    process.off("exit", onExit);
    killGroup("SIGTERM");
    const timer = setTimeout(() => killGroup("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
    // wrangler may exit before workerd has; make sure nothing of the group survives.
    killGroup("SIGKILL");
    if (ownsPersistDir) await rm(persistDir, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url, options.startTimeoutMs ?? 60_000, () => {
      if (!running) throw new Error("wrangler exited");
      // A build error leaves wrangler running and waiting for a fix: fail now, not at the timeout.
      // wrangler colours its output even when piped: strip ANSI codes before matching.
      if (/\[ERROR\]/.test(output.replace(/\x1b\[[0-9;]*m/g, ""))) throw new Error("wrangler reported an error");
    });
  } catch (error) {
    await stop();
    throw new Error(`wrangler dev did not start: ${(error as Error).message}\n${output}`);
  }
  return { url, persistDir, output: () => output, stop };
}

async function waitForHealth(url: string, timeoutMs: number, check: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    check();
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`/healthz did not answer within ${timeoutMs} ms`);
}

/** A port that was free a moment ago: the OS picks it, and we release it for wrangler. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
