// The nodes of the cluster bench: `npm start`'s own command (node --import tsx src/node/main.ts)
// with HOST, PORT, DATABASE_URL and KILLSWITCH_ROOT_TOKEN, as an operator runs several processes on
// one database. Each node listens on 127.0.0.1, on a free port; `cpu` pins it with taskset (which
// execs node, so the pid is the node's and /proc/<pid>/stat counts its CPU).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/node/main.ts', import.meta.url));
/** tsx compiles the server at start; a loaded machine can take a while. */
const START_TIMEOUT_MS = 60_000;

/**
 * Starts one node; resolves once it prints "listening on", rejects with its output if it exits or
 * times out first. `started` collects the child so the caller can kill it on any way out.
 */
export function startNode({ name, databaseUrl, rootToken, cpu, started }) {
  const argv = [process.execPath, '--import', 'tsx', MAIN];
  const env = { ...process.env, HOST: '127.0.0.1', PORT: '0', DATABASE_URL: databaseUrl, KILLSWITCH_ROOT_TOKEN: rootToken };
  // cwd = the repository: tsx reads its tsconfig.json (the @killswitch/sdk path alias) from there.
  const child = cpu == null
    ? spawn(argv[0], argv.slice(1), { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('taskset', ['-c', String(cpu), ...argv], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((r) => child.once('exit', r));

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${name} did not start in ${START_TIMEOUT_MS} ms:\n${output}`)); }, START_TIMEOUT_MS);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} exited (${code}) before listening:\n${output}`)); });
    child.stdout.on('data', () => {
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (!url) return;
      clearTimeout(timer);
      resolve({
        name,
        url,
        port: Number(new URL(url).port),
        pid: child.pid,
        output: () => output,
        /** user + system CPU ms so far (clock ticks of 10 ms). */
        cpuMs: () => procCpuMs(child.pid),
        /** SIGTERM (main.ts closes its sockets and the database), SIGKILL after 5 s. */
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const late = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(late);
        },
      });
    });
  });
}

export function procCpuMs(pid) {
  try {
    // Fields after the parenthesized name: state is field 3, utime 14, stime 15.
    const rest = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(rest[11]) + Number(rest[12])) * 10;
  } catch { return null; }
}
