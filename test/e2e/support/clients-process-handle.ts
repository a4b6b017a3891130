/**
 * Starts clients-process.ts: `count` SDK clients of one key in a child process.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("./clients-process.ts", import.meta.url));

export interface ClientsProcess {
  /** How many clients answered `ready()` with "ready". */
  ready: number;
  /** Freezes (SIGSTOP) or thaws (SIGCONT) the whole process, as a hung application would be. */
  signal(signal: "SIGSTOP" | "SIGCONT"): void;
  /** Every reconnect delay (ms) the clients chose so far, in the order they chose them. */
  reconnectDelays(): Promise<number[]>;
  /** Closes the clients and waits for the process to exit. */
  stop(): Promise<void>;
}

/** `app`: the name its clients give the service (default "e2e-clients-process"). */
export function startClientsProcess(url: string, sdkKey: string, count: number, timeoutMs = 60_000, app?: string): Promise<ClientsProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", SCRIPT], {
    env: { ...process.env, KILLSWITCH_URL: url, KILLSWITCH_SDK_KEY: sdkKey, CLIENTS: String(count), ...(app ? { CLIENTS_APP: app } : {}) },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the clients were not ready in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.stdout.on("data", () => {
      const line = /^\{"ready":\d+\}$/m.exec(output)?.[0];
      if (!line) return;
      clearTimeout(timer);
      resolve({
        ready: (JSON.parse(line) as { ready: number }).ready,
        signal(signal) {
          child.kill(signal);
        },
        reconnectDelays() {
          const from = output.length;
          child.stdin.write("delays\n");
          return new Promise((resolve) => {
            const answered = (): void => {
              const line = /^\{"delays":.*\}$/m.exec(output.slice(from))?.[0];
              if (!line) return;
              child.stdout.off("data", answered);
              resolve((JSON.parse(line) as { delays: number[] }).delays);
            };
            child.stdout.on("data", answered);
          });
        },
        async stop() {
          child.kill("SIGCONT"); // a frozen process cannot handle SIGTERM
          child.kill("SIGTERM");
          await exited;
        },
      });
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the clients process exited:\n${output}`));
    });
  });
}
