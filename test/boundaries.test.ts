/**
 * The dependency rules (.dependency-cruiser.cjs, run by `npm run typecheck`) catch what
 * breaks them. dependency-cruiser runs as `npm test` runs it, on a copy of the sources in
 * a temp folder with one file added that breaks one rule, and must fail naming that rule.
 */
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
const depcruise = join(root, "node_modules", ".bin", "depcruise");
const config = join(root, ".dependency-cruiser.cjs");

/** One line of dependency-cruiser's report: `error <rule>: <from> → <to>`. */
interface Violation {
  rule: string;
  from: string;
  to: string;
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ks-boundaries-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the check as `npm run typecheck` does, on `tree`; answers the exit code and the violations it reports. */
async function cruise(tree: string): Promise<{ code: number; violations: Violation[] }> {
  const report = (output: string): Violation[] =>
    [...output.matchAll(/^\s*error (\S+): (\S+) → (\S+)$/gm)].map(([, rule, from, to]) => ({ rule: rule!, from: from!, to: to! }));
  try {
    const { stdout } = await run(depcruise, ["--config", config, "src", "sdk/src"], { cwd: tree, timeout: 120_000 });
    return { code: 0, violations: report(stdout) };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, violations: report(failed.stdout) };
  }
}

async function write(tree: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(tree, path)), { recursive: true });
    await writeFile(join(tree, path), text);
  }
}

it("fails on a copy of the sources with a `node:fs` import added to the core, and passes without it", async () => {
  const tree = join(dir, "copy");
  for (const path of ["src", "sdk/src", "tsconfig.json"]) await cp(join(root, path), join(tree, path), { recursive: true });
  expect(await cruise(tree)).toEqual({ code: 0, violations: [] });

  await write(tree, { "src/core/read-config.ts": `import { readFileSync } from "node:fs";\nexport const config = () => readFileSync("config.json", "utf8");\n` });
  const { code, violations } = await cruise(tree);
  expect(code).not.toBe(0);
  expect(violations).toEqual([{ rule: "core-imports-no-node-module", from: "src/core/read-config.ts", to: "fs" }]);
}, 240_000);

it("names the rule each forbidden edge breaks, one file per rule", async () => {
  const tree = join(dir, "edges");
  await write(tree, {
    "tsconfig.json": "{}",
    "src/core/ok.ts": "export const ok = 1;\n",
    "src/http/app.ts": "export const app = 1;\n",
    "src/node/host.ts": "export const node = 1;\n",
    "src/worker/host.ts": "export const worker = 1;\n",
    "src/core/uses-worker-runtime.ts": `import { DurableObject } from "cloudflare:workers";\nexport { DurableObject };\n`,
    "src/core/uses-bare-builtin.ts": `import { createServer } from "net";\nexport { createServer };\n`,
    "src/core/uses-http.ts": `import { app } from "../http/app.js";\nexport { app };\n`,
    "src/core/uses-host.ts": `import { node } from "../node/host.js";\nexport { node };\n`,
    "src/http/uses-host.ts": `import { worker } from "../worker/host.js";\nexport { worker };\n`,
    "src/node/uses-worker.ts": `import { worker } from "../worker/host.js";\nexport { worker };\n`,
    "src/worker/uses-node.ts": `import { node } from "../node/host.js";\nexport { node };\n`,
    "sdk/src/uses-service.ts": `import { ok } from "../../src/core/ok.js";\nexport { ok };\n`,
    "src/cli/main.ts": "export const cli = 1;\n",
    "src/cli/uses-http.ts": `import { app } from "../http/app.js";\nexport { app };\n`,
    "src/http/uses-cli.ts": `import { cli } from "../cli/main.js";\nexport { cli };\n`,
  });
  const { code, violations } = await cruise(tree);
  expect(code).not.toBe(0);
  expect(violations.map((v) => `${v.from} ${v.rule}`).sort()).toEqual(
    [
      "sdk/src/uses-service.ts sdk-imports-no-service",
      "src/core/uses-bare-builtin.ts core-imports-no-node-module",
      "src/core/uses-host.ts core-imports-no-host-or-http",
      "src/core/uses-http.ts core-imports-no-host-or-http",
      "src/core/uses-worker-runtime.ts core-imports-no-workers-module",
      "src/http/uses-host.ts http-imports-no-host",
      "src/node/uses-worker.ts node-host-imports-no-worker-host",
      "src/worker/uses-node.ts worker-host-imports-no-node-host",
      "src/cli/uses-http.ts cli-imports-no-host-or-http",
      "src/http/uses-cli.ts service-imports-no-cli",
    ].sort(),
  );
}, 120_000);
