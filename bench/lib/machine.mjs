// What the propagation benches read of the machine and their command line (Linux; null elsewhere).
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The value after --name on the command line, or def. */
export const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};

/** Whether a command is on PATH (taskset, for pinning). */
export function has(cmd) { try { execSync(`command -v ${cmd}`, { stdio: 'ignore' }); return true; } catch { return false; } }

/** Servers on CPU 0, load generators on CPU 1 (taskset): unless --no-pin, with 2+ CPUs and taskset. */
export const pinning = () => !process.argv.includes('--no-pin') && os.cpus().length >= 2 && has('taskset');

/** The machine's CPU time so far, all CPUs, in ms: busy (user, nice, system, irq, softirq) and steal. */
export function cpuTimes() {
  try {
    const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]
      .trim().split(/\s+/).slice(1).map((x) => Number(x) * 10);
    return { busy: user + nice + system + irq + softirq, steal };
  } catch { return null; }
}
