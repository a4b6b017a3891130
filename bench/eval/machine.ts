/** The machine a benchmark ran on, for its report. */
import os from "node:os";
import { readmeCommand } from "./readme-command.js";

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
}

export function describeMachine(): Machine {
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

export function machineLine(m: Machine): string {
  return `${m.cpus} CPUs (\`nproc\`), ${m.cpuModel}, ${m.memoryGiB} GiB RAM, Node ${m.node}, ${m.platform}`;
}

/** Where, how and when a benchmark ran. */
export interface Provenance {
  machine: Machine;
  command: string;
  date: string;
}

/** This run's provenance; `script` is the benchmark's path from the repository's root. */
export function provenance(script: string): Provenance {
  return { machine: describeMachine(), command: readmeCommand(script), date: new Date().toISOString() };
}

/** The report lines that say where, how and when a benchmark ran. */
export function provenanceLines(r: Provenance): string[] {
  return [`- Machine: ${machineLine(r.machine)}`, `- Command: \`${r.command}\``, `- Date: ${r.date}`];
}
