/**
 * A child process that speaks JSON lines on stdout: the test waits for a given event,
 * with a bound, and sees everything the child printed when the wait fails.
 */
import { spawn, type ChildProcess } from "node:child_process";

export interface Line {
  event: string;
  // The lines are checked field by field in the tests.
  [field: string]: any;
}

export interface LineProcess {
  /** The next line (or an earlier, unclaimed one) whose `event` is `event`. */
  next(event: string, timeoutMs: number): Promise<Line>;
  /** Resolves with the exit code once the child has exited. */
  exited(timeoutMs: number): Promise<number | null>;
  /** Everything printed so far, for failure messages. */
  output(): string;
  kill(): void;
}

export function startLineProcess(bin: string, args: string[], cwd: string): LineProcess {
  const child: ChildProcess = spawn(bin, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  const lines: Line[] = [];
  let text = "";
  let pending = "";
  let exitCode: number | null | undefined;
  const waiters = new Set<() => void>();
  const wake = (): void => waiters.forEach((waiter) => waiter());

  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    text += chunk;
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      const raw = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (raw.startsWith("{")) lines.push(JSON.parse(raw) as Line);
    }
    wake();
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    text += `[stderr] ${chunk}`;
  });
  child.on("exit", (code) => {
    exitCode = code;
    wake();
  });

  const until = <T>(found: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        let value: T | undefined;
        try {
          value = found();
        } catch (error) {
          done();
          return reject(error);
        }
        if (value === undefined) return;
        done();
        resolve(value);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${what} within ${timeoutMs} ms; output:\n${text}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  return {
    next: (event, timeoutMs) => {
      const take = (): Line | undefined => {
        const index = lines.findIndex((line) => line.event === event);
        if (index < 0) {
          if (exitCode !== undefined) throw new Error(`exited (${exitCode}) before "${event}"; output:\n${text}`);
          return undefined;
        }
        return lines.splice(index, 1)[0];
      };
      return until(take, timeoutMs, `"${event}" line`);
    },
    exited: (timeoutMs) => until(() => (exitCode === undefined ? undefined : { code: exitCode }), timeoutMs, "exit").then(({ code }) => code),
    output: () => text,
    kill: () => {
      if (exitCode === undefined) child.kill("SIGKILL");
    },
  };
}
