/**
 * OFREP single-flag evaluation over HTTP: the product's
 * `POST /ofrep/v1/evaluate/flags/{key}` (sdk key, real database, real
 * evaluator) against a bare Hono handler on the same @hono/node-server setup,
 * in one run, with autocannon on loopback and the same settings for both.
 * Each server runs in its own process; the load generator runs in this one.
 *
 *   npx tsx bench/ofrep/run.ts [--connections 50] [--duration 10] [--warmup 3]
 *     [--rounds 2] [--bodies 100] [--bare-only] [--readme]
 *
 * Rounds alternate the order (bare, product, product, bare, …) so that a drift
 * in the machine's load falls on both alike.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { provenance } from "../eval/machine.js";
import { positiveInt } from "../eval/positive-int.js";
import { publishSection } from "../eval/readme-section.js";
import { startChildServer, type ChildServer } from "./child-server.js";
import { runLoad, type LoadResult } from "./load.js";
import { OFREP_PATH, ofrepRequests, type OfrepRequest } from "./ofrep-requests.js";
import { renderOfrepSection, type Target } from "./report.js";
import { seedProduct } from "./seed-product.js";

const { values: args } = parseArgs({
  options: {
    connections: { type: "string", default: "50" },
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "3" },
    rounds: { type: "string", default: "2" },
    bodies: { type: "string", default: "100" },
    "bare-only": { type: "boolean", default: false },
    readme: { type: "boolean", default: false },
  },
});

const settings = { connections: positiveInt("connections", args.connections), duration: positiveInt("duration", args.duration) };
const warmup = positiveInt("warmup", args.warmup);
const rounds = positiveInt("rounds", args.rounds);
const requests = ofrepRequests(positiveInt("bodies", args.bodies));

/** Sends every request once and checks each answer; returns the problems found. */
async function verify(url: string, headers: Record<string, string>, check: (r: OfrepRequest, body: unknown) => string | undefined) {
  const problems: string[] = [];
  for (const r of requests) {
    const res = await fetch(`${url}${OFREP_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: r.body,
    });
    const body: unknown = await res.json().catch(() => undefined);
    const problem = res.status !== 200 ? `status ${res.status}: ${JSON.stringify(body)}` : check(r, body);
    if (problem !== undefined) problems.push(`${r.body} → ${problem}`);
  }
  return problems;
}

const servers: ChildServer[] = [];
const targets: Target[] = [];
let productNote: string | undefined;
let dataDir: string | undefined;

try {
  const bare = await startChildServer(["bare"]);
  servers.push(bare);
  const bareProblems = await verify(bare.url, {}, (_r, body) =>
    (body as { value?: unknown } | undefined)?.value === true ? undefined : `unexpected body ${JSON.stringify(body)}`,
  );
  if (bareProblems.length > 0) throw new Error(`the bare handler misbehaves: ${bareProblems[0]}`);
  targets.push({ name: "bare Hono handler", url: bare.url, headers: {}, results: [] });

  if (args["bare-only"]) {
    productNote = "not run (--bare-only)";
  } else {
    dataDir = await mkdtemp(join(os.tmpdir(), "killswitch-ofrep-bench-"));
    const rootToken = randomBytes(24).toString("base64url");
    try {
      const product = await startChildServer(["product", dataDir, rootToken]);
      servers.push(product);
      const { sdkKey } = await seedProduct(product.url, rootToken);
      const headers = { authorization: `Bearer ${sdkKey}` };
      const problems = await verify(product.url, headers, (r, body) => {
        const value = (body as { value?: unknown } | undefined)?.value;
        return value === r.expected ? undefined : `value ${JSON.stringify(value)}, the reference says ${r.expected}`;
      });
      if (problems.length > 0) {
        productNote = `not timed: ${problems.length} of ${requests.length} answers disagree with the reference, e.g. ${problems[0]}`;
      } else {
        targets.push({ name: "Killswitch OFREP", url: product.url, headers, results: [] });
      }
    } catch (e) {
      productNote = `not available: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  if (productNote !== undefined) console.error(`product server ${productNote}`);

  const bodies = requests.map((r) => r.body);
  const loadBefore = os.loadavg()[0]!;
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const t of order) {
      await runLoad(t.url, OFREP_PATH, t.headers, bodies, { ...settings, duration: warmup });
      const result: LoadResult = await runLoad(t.url, OFREP_PATH, t.headers, bodies, settings);
      t.results.push(result);
      console.error(
        `round ${round + 1}/${rounds} ${t.name}: ${Math.round(result.rps)} req/s, p99 ${result.p99} ms, ` +
          `${result.errors} errors, ${result.non2xx} non-2xx`,
      );
    }
  }

  const section = renderOfrepSection({
    ...provenance("bench/ofrep/run.ts"),
    settings,
    warmup,
    rounds,
    bodies: requests.length,
    targets,
    productNote,
    load: { before: loadBefore, after: os.loadavg()[0]! },
  });
  publishSection(section, args.readme);
} finally {
  await Promise.all(servers.map((s) => s.stop()));
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
}
