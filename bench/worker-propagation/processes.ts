/**
 * The processes `wrangler dev` starts, read from /proc (Linux): `wrangler dev`
 * runs two workerd processes, one behind the port it prints (wrangler's proxy
 * worker, which forwards every request and socket) and one running our Worker
 * and its Durable Objects. Their CPU time shows where a flip's cost goes;
 * `taskset` pins them like the ws floor pins its server.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
  /** user + system, in ms (clock ticks of 10 ms). */
  cpuMs: number;
}

function readProc(pid: number): ProcInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    // After "(comm) ": state ppid … utime is field 14 and stime field 15 of the whole line.
    const rest = stat.slice(close + 2).split(" ");
    return { pid, ppid: Number(rest[1]), comm, cpuMs: (Number(rest[11]) + Number(rest[12])) * 10 };
  } catch {
    return null; // gone, or not Linux
  }
}

/** Every live descendant of `root`. */
export function descendants(root: number): ProcInfo[] {
  let all: ProcInfo[];
  try {
    all = readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map((d) => readProc(Number(d))).filter((p) => p !== null);
  } catch {
    return [];
  }
  const out: ProcInfo[] = [];
  const parents = new Set([root]);
  // Parents precede children in no guaranteed order: repeat until nothing is added.
  for (let added = true; added; ) {
    added = false;
    for (const p of all) {
      if (!parents.has(p.pid) && parents.has(p.ppid)) {
        parents.add(p.pid);
        out.push(p);
        added = true;
      }
    }
  }
  return out;
}

export interface WorkerdPair {
  /** Serves the port wrangler prints (`--socket-addr=entry=127.0.0.1:<port>`): wrangler's proxy worker. */
  proxy: number | null;
  /** Runs the Worker and its Durable Objects. */
  runtime: number | null;
}

export function workerdProcesses(port: number): WorkerdPair {
  const pair: WorkerdPair = { proxy: null, runtime: null };
  for (const p of descendants(process.pid)) {
    if (p.comm !== "workerd") continue;
    const args = readFileSync(`/proc/${p.pid}/cmdline`, "utf8").split("\0");
    if (args.includes(`--socket-addr=entry=127.0.0.1:${port}`)) pair.proxy = p.pid;
    else pair.runtime = p.pid;
  }
  return pair;
}

/** CPU ms of every live descendant of this process, by pid. */
export function descendantCpu(): Map<number, ProcInfo> {
  return new Map(descendants(process.pid).map((p) => [p.pid, p]));
}

/** The TCP ports `pid` listens on (IPv4), from /proc/net/tcp and the process's socket inodes. */
export function listeningPorts(pid: number): number[] {
  try {
    const inodes = new Set<string>();
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match) inodes.add(match[1]!);
      } catch {
        // closed meanwhile
      }
    }
    const ports: number[] = [];
    for (const line of readFileSync(`/proc/${pid}/net/tcp`, "utf8").split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is "IP:PORT" in hex; state 0A is LISTEN; the inode is column 10.
      if (cols[3] === "0A" && inodes.has(cols[9]!)) ports.push(parseInt(cols[1]!.split(":")[1]!, 16));
    }
    return ports;
  } catch {
    return [];
  }
}

/** All threads of `pid` (existing and future) onto `cpus`, e.g. "0". False when taskset failed. */
export function pin(pid: number, cpus: string): boolean {
  try {
    execFileSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export function hasTaskset(): boolean {
  try {
    execFileSync("taskset", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** The machine's busy and steal time so far, in ms, from /proc/stat (10 ms ticks). */
export function machineCpu(): { busyMs: number; stealMs: number } | null {
  try {
    const [user, nice, system, , , irq, softirq, steal] = readFileSync("/proc/stat", "utf8")
      .split("\n")[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map((x) => Number(x) * 10);
    return { busyMs: user! + nice! + system! + irq! + softirq!, stealMs: steal! };
  } catch {
    return null;
  }
}
