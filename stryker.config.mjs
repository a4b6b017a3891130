// @ts-check
/**
 * Mutation testing (StrykerJS) of the code that decides who is blocked and what is
 * proven. How to run it and read the report: docs/testing.md, "Mutation testing".
 *
 * Each module lists the files it mutates and the test files that may kill its
 * mutants, so that a run of one module executes only those tests. A run picks its
 * modules from `MUTATION_MODULES` (comma-separated names), else from the files a
 * `--mutate` argument names, else all of them; it keeps its results, for the next
 * incremental run, in a file of its own under reports/.
 */
import { readFileSync } from "node:fs";

/**
 * Lines `from`…`to` of `file` as a Stryker mutation range: from the line that starts with
 * `from` to the line before the one that starts with `to`. A marker that is missing
 * fails the run, so that a range cannot drift silently when the file changes.
 */
function section(file, from, to) {
  const lines = readFileSync(new URL(file, import.meta.url), "utf8").split("\n");
  const find = (marker) => {
    const i = lines.findIndex((line) => line.startsWith(marker));
    if (i < 0) throw new Error(`stryker.config.mjs: no line of ${file} starts with ${JSON.stringify(marker)}`);
    return i + 1;
  };
  return `${file}:${find(from)}-${find(to) - 1}`;
}

const CLIENT = "sdk/src/client.ts";

/**
 * `tsconfig`: what the TypeScript checker compiles for each of the module's mutants, when
 * smaller than the whole project (tsconfig.mutation.json): the checker, not the tests, is
 * most of a mutant's time when it compiles everything.
 * @type {Record<string, { mutate: string[]; tests: string[]; tsconfig?: string }>}
 */
export const MODULES = {
  evaluator: {
    mutate: ["sdk/src/evaluator/**/*.ts"],
    tsconfig: "tsconfig.mutation-sdk.json",
    // Not properties.test.ts: its statistical checks run 100,000 keys per mutant, and what they
    // could kill the fixed vectors kill.
    tests: ["sdk/test/evaluator/**/*.test.ts", "sdk/test/ruleset.test.ts", "sdk/test/conformance.test.ts"],
  },
  // The client's lifecycle (connection, freshness, staleness, backoff, resync: a pure state
  // machine, whole), the validator of every frame, and what stays in the adapter of version
  // and staleness handling: what is accepted and in what order (`accept`), the flags a new
  // snapshot changed (`diff`), the poll and its ETag, the lifecycle's effects (the hello's
  // `since`, the stale timer, pings, dropping a socket), the cache's age (`loaded`),
  // evaluation's silence, and what `ready` answers.
  client: {
    mutate: [
      "sdk/src/client/lifecycle.ts",
      "sdk/src/wire.ts",
      section(CLIENT, "  function* diff(", "  // Coalesces writes"),
      section(CLIENT, "  const accept =", "  // Frames, polls and the cache are applied"),
      section(CLIENT, "  const poll = async", "  // Where a WebSocket constructor exists"),
      section(CLIENT, "  const effects:", "  const loaded ="),
      section(CLIENT, "  const loaded =", "  connect();"),
      section(CLIENT, "  // The hot path: no clock read", "  // One function serves the four typed getters"),
      section(CLIENT, "    async ready(", "    isEnabled: value,"),
    ],
    // The SDK's sources: all the module's files are there.
    tsconfig: "tsconfig.mutation-sdk.json",
    tests: [
      "sdk/test/lifecycle.test.ts",
      "sdk/test/wire.test.ts",
      "sdk/test/client-clock.test.ts",
      "sdk/test/client-stale.test.ts",
      "sdk/test/client.test.ts",
      "sdk/test/hostile-server.test.ts",
      "sdk/test/hostile-timing.test.ts",
      // The cache's patches replaced by a snapshot once they outweigh it (accept).
      "sdk/test/signed-state.test.ts",
      // A cache path on a core without the Node platform (loaded).
      "sdk/test/platform.test.ts",
    ],
  },
  // The store's own tests, on real libsql files in process. Not the contract suite's files: each
  // of them boots a server and seeds it again for every mutant (a minute or more each), and what
  // they guard that these do not, the tenant predicates, no mutator removes.
  store: {
    mutate: ["src/core/store/reads.ts", "src/core/store/mutation.ts", "src/core/store/snapshots.ts"],
    // The core alone (and the SDK it imports), as `npm run typecheck` compiles it.
    tsconfig: "src/core/tsconfig.json",
    tests: ["test/core/store/**/*.test.ts"],
  },
  audit: {
    mutate: ["src/core/audit/**/*.ts"],
    tests: ["test/core/audit/**/*.test.ts", "test/core/store/audit-log.test.ts"],
  },
  // The one receipt model and its three ledgers (memory, the Durable Object's storage, the
  // cluster tables), with the Node host's tracker over them; their unit tests, in process.
  receipts: {
    mutate: [
      "src/core/receipts/receipt-tracker.ts",
      "src/core/receipts/receipt.ts",
      "src/core/receipts/memory-ledger.ts",
      "src/core/receipts/receipt-store.ts",
      "src/worker/durable-receipt-ledger.ts",
      "src/node/stream/propagation-tracker.ts",
      "src/node/cluster/cluster-ledger.ts",
    ],
    tests: [
      "test/core/receipts/receipt-tracker.test.ts",
      "test/core/receipts/receipt.test.ts",
      "test/core/receipts/memory-ledger.test.ts",
      "test/core/receipts/receipt-store.test.ts",
      "test/worker/durable-receipt-ledger.test.ts",
      "test/node/stream/propagation-tracker.test.ts",
      "test/node/cluster/cluster-ledger.test.ts",
    ],
  },
  // auth.ts and the credential checks it delegates to (shared with the Worker's edge).
  auth: {
    mutate: ["src/http/auth.ts", "src/http/credentials.ts"],
    tests: ["test/http/**/*.test.ts", "test/contract/route-matrix.test.ts", "test/contract/tenants-and-keys.test.ts", "test/contract/http-conventions.test.ts"],
  },
};

/** The modules a `--mutate` argument touches: those with a file under one of its paths. */
function modulesOfMutateArgument() {
  const i = process.argv.findIndex((a) => a === "--mutate" || a === "-m");
  if (i < 0) return null;
  const given = process.argv[i + 1].split(",").map((p) => p.replace(/[*{].*$/, "").replace(/:[\d:-]+$/, ""));
  const names = Object.keys(MODULES).filter((name) =>
    MODULES[name].mutate.some((m) => given.some((g) => m.startsWith(g) || g.startsWith(m.replace(/[*{].*$/, "").replace(/:[\d:-]+$/, "")))),
  );
  if (names.length === 0) throw new Error(`stryker.config.mjs: no module mutates ${process.argv[i + 1]}; add it to MODULES`);
  return names;
}

const names = process.env.MUTATION_MODULES?.split(",").filter(Boolean) ?? modulesOfMutateArgument() ?? Object.keys(MODULES);
for (const name of names) if (!MODULES[name]) throw new Error(`stryker.config.mjs: unknown module "${name}" (${Object.keys(MODULES).join(", ")})`);
const chosen = names.map((name) => MODULES[name]);
const tsconfigs = [...new Set(chosen.map((m) => m.tsconfig ?? "tsconfig.mutation.json"))];
const tag = names.length === Object.keys(MODULES).length ? "all" : names.join("+");

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts", related: false },
  checkers: ["typescript"],
  tsconfigFile: tsconfigs.length === 1 ? tsconfigs[0] : "tsconfig.mutation.json",
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: chosen.flatMap((m) => m.mutate),
  testFiles: [...new Set(chosen.flatMap((m) => m.tests))],
  coverageAnalysis: "perTest",
  // A static mutant (a module-level constant) reloads every test file of the run for itself:
  // half a run's time for a few percent of its mutants. They are reported as ignored.
  ignoreStatic: true,
  // Two cores, shared: one test runner and the checker.
  concurrency: 1,
  incremental: true,
  incrementalFile: `reports/mutation/${tag}.incremental.json`,
  reporters: ["html", "json", "clear-text", "progress"],
  htmlReporter: { fileName: `reports/mutation/${tag}.html` },
  jsonReporter: { fileName: `reports/mutation/${tag}.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  thresholds: { high: 90, low: 80, break: null },
  // .stryker-tmp: another module's run going on side by side keeps its sandbox there.
  // Anchored to the root: a bare "reports" would also leave src/core/reports out of the sandbox.
  ignorePatterns: ["/reports", "/.stryker-tmp", "/bench/results", "/data", ".wrangler", "/dist", "test/runtimes/node_modules"],
  // One folder per module: runs of two modules may go on side by side.
  tempDirName: `.stryker-tmp/${tag}`,
  cleanTempDir: true,
  // Real sockets and database files: a mutant that hangs a test is given room before it counts as a timeout.
  timeoutMS: 20_000,
  timeoutFactor: 2,
};
