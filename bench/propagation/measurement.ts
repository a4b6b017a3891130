// The measurement side that server.ts and real-server.ts both answer on: JSON replies and GET /mem.
import type { ServerResponse } from "node:http";

export const json = (res: ServerResponse, code: number, body: unknown) => {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

const gc = (globalThis as { gc?: () => void }).gc;

/** GET /mem: gc() twice (with --expose-gc), then the CPU time, process.memoryUsage() and `clients`. */
export function memory(clients: number) {
  gc?.();
  gc?.();
  return { clients, gc: !!gc, cpu: process.cpuUsage(), ...process.memoryUsage() };
}
