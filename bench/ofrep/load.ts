/** One autocannon run against a server on loopback. */
import autocannon from "autocannon";

export interface LoadSettings {
  connections: number;
  /** Seconds. */
  duration: number;
}

export interface LoadResult {
  /** Mean requests per second over the run. */
  rps: number;
  /** Latency percentiles, milliseconds. */
  p50: number;
  p99: number;
  total: number;
  errors: number;
  non2xx: number;
}

export async function runLoad(
  url: string,
  path: string,
  headers: Record<string, string>,
  bodies: string[],
  settings: LoadSettings,
): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections: settings.connections,
    duration: settings.duration,
    pipelining: 1,
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    // Each connection cycles through the same bodies in the same order.
    requests: bodies.map((body) => ({ method: "POST", path, body })),
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}
