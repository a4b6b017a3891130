/**
 * `npm start` (src/node/main.ts) in a child process, for what only a separate
 * process allows: SIGKILL in the middle of a write, SIGSTOP (a server that holds
 * its sockets open and says nothing), and a restart on the same database file and
 * port, so that SDK clients reconnect to the URL they were given.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { captureLog } from "../../support/log-audit.js";
import { waitFor } from "./wait-for.js";

const MAIN = fileURLToPath(new URL("../../../src/node/main.ts", import.meta.url));
/** tsx compiles the server at start; a loaded machine can take a while. */
const START_TIMEOUT_MS = 45_000;

export interface ServerProcessOptions {
  databaseUrl: string;
  rootToken: string;
  /** Default 0 (a free port); a restart passes the previous one. */
  port?: number;
  /** Runs the server as this user (the test must be root): file permissions then hold for it. */
  user?: { uid: number; gid: number };
}

export interface ServerProcess {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Sends a signal; for SIGKILL and SIGTERM, resolves once the process has exited. */
  signal(signal: "SIGKILL" | "SIGTERM" | "SIGSTOP" | "SIGCONT"): Promise<void>;
  /** Everything the process printed so far. */
  output(): string;
}

const live = new Set<ChildProcess>();
// A test that fails half-way must not leave a server behind.
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** Starts `main.ts` once; rejects with its output when it exits before listening. */
function startOnce(options: ServerProcessOptions): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: String(options.port ?? 0),
      DATABASE_URL: options.databaseUrl,
      KILLSWITCH_ROOT_TOKEN: options.rootToken,
    },
    stdio: ["ignore", "pipe", "pipe"],
    ...options.user,
  });
  live.add(child);
  let output = "";
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      live.delete(child);
      resolve();
    }),
  );
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  // Checked for secrets when the test file ends (log-audit.ts). Not line by line: a SIGKILL may cut the last line.
  captureLog({ label: `npm start (pid ${child.pid})`, read: () => output });

  return new Promise<ServerProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the server did not start in ${START_TIMEOUT_MS} ms:\n${output}`));
    }, START_TIMEOUT_MS);
    child.stdout!.on("data", () => {
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (!url) return;
      clearTimeout(timer);
      resolve({
        url,
        port: Number(new URL(url).port),
        async signal(signal) {
          if (exited) return;
          child.kill(signal);
          if (signal === "SIGKILL" || signal === "SIGTERM") await exit;
        },
        output: () => output,
      });
    });
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`the server exited before listening:\n${output}`));
    });
  });
}

/**
 * Starts the server. On a fixed port, a start can meet the port still held for a
 * moment by the previous process's sockets: it is retried for a while.
 */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  let last: unknown;
  let started: ServerProcess | undefined;
  await waitFor(
    async () => {
      try {
        started = await startOnce(options);
        return true;
      } catch (error) {
        last = error;
        if (!/EADDRINUSE/.test(String(error))) throw error;
        return false;
      }
    },
    START_TIMEOUT_MS,
    () => `a server on port ${options.port}: ${String(last)}`,
    200,
  );
  return started!;
}
