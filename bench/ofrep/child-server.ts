/** Starts serve-child.ts in its own Node process, TypeScript loaded by tsx (which honours tsconfig paths). */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const CHILD = fileURLToPath(new URL("./serve-child.ts", import.meta.url));
const REPO = fileURLToPath(new URL("../..", import.meta.url));
/** serve-child.ts prefixes its one message with this, apart from anything the server prints. */
export const READY = "bench-server ";

export interface ChildServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startChildServer(args: string[]): Promise<ChildServer> {
  // From the repository root, so that `--import tsx` and tsconfig.json are found whoever starts us.
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", CHILD, ...args], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const first = await new Promise<string>((resolve, reject) => {
    // Keep draining stdout: a full pipe would stall the server. The server's own output goes to stderr.
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.startsWith(READY)) resolve(line.slice(READY.length));
      else process.stderr.write(`[server ${child.pid}] ${line}\n`);
    });
    child.once("exit", (code) => reject(new Error(`server process exited with code ${code} before listening`)));
  });
  const message = JSON.parse(first) as { url?: string; error?: string };
  if (message.url === undefined) {
    await exited;
    throw new Error(message.error ?? `unexpected message from the server process: ${first}`);
  }
  return {
    url: message.url,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
