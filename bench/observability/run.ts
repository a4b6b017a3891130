/**
 * What metrics and logs cost on the hottest route: the product's single-flag
 * OFREP evaluation served three ways in one run, each by its own server process
 * on its own database: with nothing reported (no KILLSWITCH_METRICS_TOKEN, no
 * logger), with the Prometheus metrics, and with the metrics and the JSON log
 * at info (one line per request, written to a file as a collector would read
 * it). autocannon on loopback, the same bodies and settings for all three.
 *
 *   npx tsx bench/observability/run.ts [--connections 50] [--duration 10]
 *     [--warmup 3] [--rounds 3] [--bodies 100] [--in-process-requests 10000] [--in-process-rounds 10] [--readme]
 *
 * Each round runs the three in a rotated order, so that a drift in the
 * machine's load falls on all alike. Besides requests/s, each timed run reads
 * the server process's own CPU time (/proc), which other work on a shared
 * machine does not inflate. Then the same three through the app alone, in
 * this process, without sockets (in-process.ts): CPU per request again, the
 * figure that holds on a busy machine. After the timed runs, each reporting
 * server's own /metrics must have counted every request it answered, and its
 * log must hold a line for each.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { provenance, provenanceLines } from "../eval/machine.js";
import { median } from "../eval/measure.js";
import { positiveInt } from "../eval/positive-int.js";
import { publishSection } from "../eval/readme-section.js";
import { startChildServer, type ChildServer } from "../ofrep/child-server.js";
import { runLoad, type LoadResult } from "../ofrep/load.js";
import { OFREP_PATH, ofrepRequests } from "../ofrep/ofrep-requests.js";
import { seedProduct } from "../ofrep/seed-product.js";
import { measureInProcess, medianCpu, type InProcessVariant } from "./in-process.js";

const HEADING = "## Metrics and logs on the OFREP route";

const { values: args } = parseArgs({
  options: {
    connections: { type: "string", default: "50" },
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "3" },
    rounds: { type: "string", default: "3" },
    bodies: { type: "string", default: "100" },
    "in-process-requests": { type: "string", default: "10000" },
    "in-process-rounds": { type: "string", default: "10" },
    readme: { type: "boolean", default: false },
  },
});

const settings = { connections: positiveInt("connections", args.connections), duration: positiveInt("duration", args.duration) };
const warmup = positiveInt("warmup", args.warmup);
const rounds = positiveInt("rounds", args.rounds);
const requests = ofrepRequests(positiveInt("bodies", args.bodies));
const bodies = requests.map((r) => r.body);
const inProcessRequests = positiveInt("in-process-requests", args["in-process-requests"]);
const inProcessRounds = positiveInt("in-process-rounds", args["in-process-rounds"]);

/**
 * A process's CPU time (user + system) in milliseconds, from /proc/<pid>/stat
 * (fields 14 and 15, in clock ticks of 10 ms): what the server itself spent,
 * whatever else the machine runs meanwhile.
 */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface Target {
  name: string;
  server: ChildServer;
  headers: Record<string, string>;
  results: LoadResult[];
  /** Server CPU per answered request, µs, one per timed run. */
  cpuPerRequest: number[];
  metricsToken?: string;
  logFile?: string;
  /** What the server's own /metrics and log say once the runs are over. */
  counted?: { metrics: number; logLines: number };
}

const METRICS_TOKEN = randomBytes(24).toString("base64url");
const ROUTE_COUNT = /^killswitch_http_request_duration_seconds_count\{route="\/ofrep\/v1\/evaluate\/flags\/\{key\}",method="POST",status="200"\} (\d+)$/m;

const dataDir = await mkdtemp(join(os.tmpdir(), "killswitch-observability-bench-"));
const targets: Target[] = [];
try {
  const variants: { name: string; extra: string[]; metrics: boolean; logFile?: string }[] = [
    { name: "nothing reported", extra: [], metrics: false },
    { name: "metrics", extra: ["metrics", METRICS_TOKEN], metrics: true },
    { name: "metrics + JSON log", extra: ["metrics+logs", METRICS_TOKEN, join(dataDir, "requests.log")], metrics: true, logFile: join(dataDir, "requests.log") },
  ];
  for (const [i, variant] of variants.entries()) {
    const dir = join(dataDir, String(i));
    const rootToken = randomBytes(24).toString("base64url");
    await mkdir(dir);
    const server = await startChildServer(["product", dir, rootToken, ...variant.extra]);
    const { sdkKey } = await seedProduct(server.url, rootToken);
    const headers = { authorization: `Bearer ${sdkKey}` };
    // Every answer checked against the reference before anything is timed.
    for (const r of requests) {
      const res = await fetch(`${server.url}${OFREP_PATH}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: r.body });
      const body = (await res.json()) as { value?: unknown };
      if (res.status !== 200 || body.value !== r.expected) throw new Error(`${variant.name}: ${r.body} answered ${res.status} ${JSON.stringify(body)}`);
    }
    targets.push({ name: variant.name, server, headers, results: [], cpuPerRequest: [], ...(variant.metrics ? { metricsToken: METRICS_TOKEN } : {}), ...(variant.logFile ? { logFile: variant.logFile } : {}) });
  }

  const loadBefore = os.loadavg()[0]!;
  for (let round = 0; round < rounds; round++) {
    const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
    for (const t of order) {
      await runLoad(t.server.url, OFREP_PATH, t.headers, bodies, { ...settings, duration: warmup });
      const cpuBefore = await cpuMs(t.server.pid);
      const result = await runLoad(t.server.url, OFREP_PATH, t.headers, bodies, settings);
      const cpu = ((await cpuMs(t.server.pid)) - cpuBefore) * 1000 / result.total;
      t.results.push(result);
      t.cpuPerRequest.push(cpu);
      console.error(
        `round ${round + 1}/${rounds} ${t.name}: ${Math.round(result.rps)} req/s, ${cpu.toFixed(1)} µs server CPU per request, p99 ${result.p99} ms, ` +
          `${result.errors} errors, ${result.non2xx} non-2xx`,
      );
    }
  }
  const loadAfter = os.loadavg()[0]!;

  for (const t of targets) {
    if (t.metricsToken === undefined) continue;
    const text = await (await fetch(`${t.server.url}/metrics`, { headers: { authorization: `Bearer ${t.metricsToken}` } })).text();
    await t.server.stop(); // flushes the log
    const logLines = t.logFile === undefined ? 0 : (await readFile(t.logFile, "utf8")).split("\n").filter((line) => line.includes('"route":"/ofrep/v1/evaluate/flags/{key}"')).length;
    t.counted = { metrics: Number(ROUTE_COUNT.exec(text)?.[1] ?? 0), logLines };
  }

  const inProcess = await measureInProcess({ dir: dataDir, bodies, requests: inProcessRequests, rounds: inProcessRounds });
  publishSection(render({ ...provenance("bench/observability/run.ts"), load: { before: loadBefore, after: loadAfter } }, inProcess), args.readme);
} finally {
  await Promise.all(targets.map((t) => t.server.stop()));
  await rm(dataDir, { recursive: true, force: true });
}

function render(r: ReturnType<typeof provenance> & { load: { before: number; after: number } }, inProcess: InProcessVariant[]): string {
  const int = (n: number) => Math.round(n).toLocaleString("en-US");
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const rps = (t: Target) => median(t.results.map((x) => x.rps));
  const cpu = (t: Target) => median(t.cpuPerRequest);
  const base = rps(targets[0]!);
  const baseCpu = cpu(targets[0]!);
  const lines = [
    HEADING,
    "",
    `The request overhead of \`/metrics\` (prom-client) and of the request log (pino, JSON at info) on \`POST ${OFREP_PATH}\` with an sdk key: ` +
      "the same product server three ways, each in its own process on its own database, in one run. Code: `bench/observability/`.",
    "",
    ...provenanceLines(r),
    `- Load: autocannon on loopback, ${settings.connections} connections, no pipelining, ${settings.duration} s per run after a ${warmup} s warm-up, ` +
      `${rounds} round(s), the order rotated each round; autocannon in the parent process. Bodies cycle through ${requests.length} contexts of the ` +
      "evaluation fixture, every answer checked against the reference before timing. Figures are medians over the rounds.",
    `- Load average (1 min) before / after the timed runs: ${r.load.before.toFixed(2)} / ${r.load.after.toFixed(2)}.`,
    "- Reading it: when the load average is above the machine's cores, other processes take the CPU in turns, and requests/s " +
      "(and, less, the servers' CPU per request) follow the machine's load from one run to the next more than the variant; " +
      "the in-process table below, many short rounds taking turns, is the figure to quote then.",
    "",
    "| server | requests/s | of \"nothing reported\" | server CPU per request (µs) | p50 (ms) | p99 (ms) | requests | errors | non-2xx |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const t of targets) {
    const rs = t.results;
    lines.push(
      `| ${t.name} | ${int(rps(t))} | ${((rps(t) / base) * 100).toFixed(0)} % | ${cpu(t).toFixed(1)} | ${median(rs.map((x) => x.p50))} | ` +
        `${median(rs.map((x) => x.p99))} | ${int(sum(rs.map((x) => x.total)))} | ${sum(rs.map((x) => x.errors))} | ${sum(rs.map((x) => x.non2xx))} |`,
    );
  }
  lines.push("");
  for (const t of targets.slice(1)) {
    lines.push(
      `- ${t.name}: ${((1 - rps(t) / base) * 100).toFixed(1)} % fewer requests/s; ${(cpu(t) - baseCpu).toFixed(1)} µs more server CPU per request ` +
        `(${(((cpu(t) - baseCpu) / baseCpu) * 100).toFixed(0)} %).`,
    );
  }
  for (const t of targets) {
    if (t.counted === undefined) continue;
    const answered = sum(t.results.map((x) => x.total));
    lines.push(
      `- ${t.name}: its /metrics counted ${int(t.counted.metrics)} OFREP answers (timed runs: ${int(answered)}, plus warm-ups and checks)` +
        (t.logFile ? `, its log holds ${int(t.counted.logLines)} OFREP lines.` : "."),
    );
  }
  const inBase = medianCpu(inProcess[0]!);
  lines.push(
    "",
    `In process, without sockets: the app's \`fetch\` answering ${int(inProcessRequests)} OFREP requests per round (50 at a time, after a warm-up), ` +
      `${inProcessRounds} rounds in rotated order; this process's CPU time per request (\`process.cpuUsage\`, pino's write threads included). ` +
      "No HTTP parsing or kernel work is in these figures, so the differences are what metrics and logs add.",
    "",
    "| app | CPU per request (µs) | added (µs) | added (%) |",
    "| --- | ---: | ---: | ---: |",
  );
  for (const v of inProcess) {
    const cpu = medianCpu(v);
    lines.push(`| ${v.name} | ${cpu.toFixed(1)} | ${(cpu - inBase).toFixed(1)} | ${(((cpu - inBase) / inBase) * 100).toFixed(0)} % |`);
  }
  return lines.join("\n");
}
