/**
 * The Node host for the HTTP benches (../write/, ../webhooks/): started in a
 * process of its own (node-server-process.ts) on a database file, and the
 * admin API calls the benches make to it.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const PROCESS = fileURLToPath(new URL("./node-server-process.ts", import.meta.url));

export interface ForkedServer {
  url: string;
  child: ChildProcess;
  /** Closes the server and waits for its process to exit. */
  stop(): Promise<void>;
}

/** Starts the server and waits for its URL; a crash of this process does not leave it running. */
export async function forkNodeServer(databaseUrl: string, rootToken: string, options: { webhooksToLoopback?: boolean } = {}): Promise<ForkedServer> {
  const args = [databaseUrl, rootToken, ...(options.webhooksToLoopback ? ["--webhooks-to-loopback"] : [])];
  const child = fork(PROCESS, args, { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  process.on("exit", () => child.kill());
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    child.once("message", (m) => resolve((m as { url: string }).url));
    child.once("exit", (code) => reject(new Error(`the server exited with ${code}`)));
  });
  return {
    url,
    child,
    async stop() {
      child.send("stop");
      await exited;
    },
  };
}

/** A JSON call to the server's API with a bearer key; throws on any status from 300 up. */
export type ApiCall = <T = unknown>(method: string, path: string, key: string, body: unknown) => Promise<T>;

export function apiCall(baseUrl: string): ApiCall {
  return async <T>(method: string, path: string, key: string, body: unknown): Promise<T> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
}
