// The measurement side that server.ts and real-server.ts both answer on: JSON replies and GET /mem.
import type { ServerResponse } from "node:http";
import { getHeapSpaceStatistics } from "node:v8";

export const json = (res: ServerResponse, code: number, body: unknown) => {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

const gc = (globalThis as { gc?: () => void }).gc;

/**
 * GET /mem: gc() twice (with --expose-gc), then the CPU time, process.memoryUsage(), `clients`,
 * and each V8 heap space's [committed, used] bytes (where an RSS difference lies: live objects, or
 * a space grown by garbage and kept).
 */
export function memory(clients: number) {
  gc?.();
  gc?.();
  const spaces: Record<string, [number, number]> = {};
  for (const s of getHeapSpaceStatistics()) spaces[s.space_name] = [s.space_size, s.space_used_size];
  return { clients, gc: !!gc, cpu: process.cpuUsage(), ...process.memoryUsage(), spaces };
}
