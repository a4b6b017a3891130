/**
 * `npm run fuzz -- --runs N --seed S [--sockets K] [--target node|worker]`: a
 * longer run of the oracle fuzzer (test/contract/oracle-fuzz.test.ts) than the
 * one `npm test` makes. Without --seed a random one is drawn and printed.
 */
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3000" },
    seed: { type: "string" },
    sockets: { type: "string" },
    target: { type: "string", default: "node" },
  },
});

const whole = (name: string, text: string): string => {
  if (!/^\d+$/.test(text)) throw new Error(`--${name} takes a whole number, not ${text}`);
  return text;
};
if (values.target !== "node" && values.target !== "worker") throw new Error(`--target is node or worker, not ${values.target}`);
const runs = whole("runs", values.runs);
const seed = whole("seed", values.seed ?? String(Math.floor(Math.random() * 2 ** 31)));
const sockets = whole("sockets", values.sockets ?? String(Math.max(20, Math.round(Number(runs) / 15))));
console.log(`fuzz: seed ${seed}, ${runs} requests, ${sockets} sockets, against the ${values.target} host`);

const result = spawnSync("npx", ["vitest", "run", "--project", values.target === "worker" ? "contract-worker" : "node", "test/contract/oracle-fuzz.test.ts"], {
  stdio: "inherit",
  env: {
    ...process.env,
    FUZZ_SEED: seed,
    FUZZ_REQUESTS: runs,
    FUZZ_SOCKETS: sockets,
    // A long run's time grows with its length.
    FUZZ_TIMEOUT_MS: String(120_000 + Number(runs) * 200 + Number(sockets) * 1000),
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
  },
});
process.exit(result.status ?? 1);
