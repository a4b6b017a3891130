/**
 * The `killswitch` binary (bin/killswitch.mjs) as a child process, as a person or
 * a script runs it: with pipes (not a terminal), or under a pseudo-terminal made
 * by util-linux `script`, which is what shows the live bar.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../../../bin/killswitch.mjs", import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Added to a clean environment: no KILLSWITCH_* or NO_COLOR from the test's own. */
  env?: Record<string, string>;
  /** Written to stdin, then closed (default: closed at once). */
  input?: string;
  /** Bound on the run; default 90 s (the CLI starts through tsx on a loaded machine). */
  timeoutMs?: number;
}

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("KILLSWITCH_") && name !== "NO_COLOR" && name !== "FORCE_COLOR") env[name] = value;
  }
  return { ...env, ...extra };
}

function run(command: string, args: string[], options: CliOptions): Promise<CliRun> {
  const child = spawn(command, args, { env: cleanEnv(options.env), stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
  child.stdin.end(options.input ?? "");
  const timeoutMs = options.timeoutMs ?? 90_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${args.join(" ")} did not exit in ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `killswitch ARGS` with pipes for stdin, stdout and stderr. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliRun> {
  return run(process.execPath, [BIN, ...args], options);
}

const shellQuote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * `killswitch ARGS` on a pseudo-terminal (`script -qefc`): stdout and stderr are the
 * terminal, merged into `stdout` with every escape sequence; `code` is the CLI's.
 */
export function runCliOnTerminal(args: string[], options: CliOptions = {}): Promise<CliRun> {
  const command = [process.execPath, BIN, ...args].map(shellQuote).join(" ");
  return run("script", ["-qefc", command, "/dev/null"], { ...options, env: { COLUMNS: "120", TERM: "xterm-256color", ...options.env } });
}

export interface RunningCli {
  /** What it printed on stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Interrupts it (SIGINT, as Ctrl-C) and resolves with its exit code. */
  stop(): Promise<number | null>;
}

/** `killswitch ARGS` that runs until stopped (`watch`, `audit --follow`). */
export function startCli(args: string[], options: CliOptions = {}): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(options.env), stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
  child.stdin.end();
  const closed = new Promise<number | null>((resolve) => child.once("close", (code, signal) => resolve(code ?? (signal ? 128 : null))));
  // A test that fails half-way must not leave it running.
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
  void closed.then(() => clearTimeout(timer));
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    async stop() {
      child.kill("SIGINT");
      return closed;
    },
  };
}
