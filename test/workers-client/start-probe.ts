/**
 * Runs this directory's probe Worker (wrangler.toml here) under `wrangler dev`:
 * workerd, local and offline, on a free port of 127.0.0.1, ready once
 * `/healthz` answers. test/support/wrangler-dev.ts starts the service's own
 * wrangler.toml only; this is its small sibling for another config.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { OFFLINE_ENV } from "../support/wrangler-dev.js";

export interface Probe {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

const root = fileURLToPath(new URL("../../", import.meta.url));
const config = fileURLToPath(new URL("./wrangler.toml", import.meta.url));
const wranglerBin = fileURLToPath(new URL("../../node_modules/wrangler/bin/wrangler.js", import.meta.url));

export async function startProbe(startTimeoutMs = 60_000): Promise<Probe> {
  const persistDir = await mkdtemp(join(tmpdir(), "killswitch-probe-"));
  const [port, inspectorPort] = await Promise.all([freePort(), freePort()]);
  const child = spawn(
    process.execPath,
    [
      wranglerBin, "dev",
      "--config", config,
      "--ip", "127.0.0.1",
      "--port", String(port),
      "--inspector-port", String(inspectorPort),
      "--persist-to", persistDir,
      "--show-interactive-dev-session=false",
      "--log-level", "warn",
    ],
    {
      cwd: root,
      env: { ...process.env, ...OFFLINE_ENV, WRANGLER_LOG_PATH: join(persistDir, "logs"), NO_COLOR: "1" },
      // Its own process group, so that stop() reaches workerd, which wrangler spawns.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  let running = true;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exited.then(() => (running = false));

  const killGroup = (signal: NodeJS.Signals) => {
    if (!running || child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  const onExit = () => killGroup("SIGKILL");
  process.once("exit", onExit);
  const stop = async () => {
    process.off("exit", onExit);
    killGroup("SIGTERM");
    const timer = setTimeout(() => killGroup("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
    killGroup("SIGKILL");
    await rm(persistDir, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
    const failure = !running ? "wrangler exited" : /\[ERROR\]/.test(plain) ? "wrangler reported an error" : Date.now() > deadline ? "timed out" : undefined;
    if (failure) {
      await stop();
      throw new Error(`probe Worker did not start: ${failure}\n${output}`);
    }
    try {
      if ((await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) })).ok) break;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, output: () => output, stop };
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
