/**
 * The SDK installed the way sdk/README.md says while the package is unpublished: packed
 * from this checkout (`npm pack`, whose prepack step builds dist/), installed into an empty
 * folder, and imported there by plain Node, outside this repository's node_modules and
 * aliases. That install connects to the real Node host, evaluates, and applies a kill.
 */
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { apiFor, type Api } from "../support/api.js";
import { startContractTarget, type ContractTarget } from "../support/contract-target.js";
import { createTenant, type TestTenant } from "../support/tenants.js";

const run = promisify(execFile);
const sdkDir = fileURLToPath(new URL("../../sdk/", import.meta.url));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const FLAG = "model.fable-5";

let dir: string;
let target: ContractTarget;
let api: Api;
let t: TestTenant;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ks-sdk-install-"));
  target = await startContractTarget();
  api = apiFor(target);
  t = await createTenant(target, api);
  expect((await api("POST", "/v1/flags", { key: t.admin, json: { key: FLAG, kind: "boolean" } })).status).toBe(201);
});

afterAll(async () => {
  await target?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it("packs from the checkout, installs into an empty folder, connects to the service and applies a kill", async () => {
  // npm's own variables (set when vitest runs under `npm test`) would point the child npm at this repository.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
  const packed = await run(npm, ["pack", "--pack-destination", dir, "--json"], { cwd: sdkDir, env, timeout: 120_000 });
  const [{ filename, files }] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("["))) as [{ filename: string; files: { path: string }[] }];
  // The tarball carries the built entries, not just the sources.
  expect(files.map((f) => f.path)).toEqual(expect.arrayContaining(["dist/index.js", "dist/node.js", "package.json", "README.md"]));

  const app = join(dir, "app");
  await mkdir(app);
  await writeFile(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  await run(npm, ["install", join(dir, filename), "--no-audit", "--no-fund", "--prefer-offline"], { cwd: app, env, timeout: 180_000 });
  expect(await readdir(join(app, "node_modules", "@killswitch", "sdk", "dist"))).toEqual(expect.arrayContaining(["index.js", "node.js"]));

  await writeFile(
    join(app, "main.mjs"),
    `import { createClient } from "@killswitch/sdk";
const client = createClient({ url: process.env.KS_URL, sdkKey: process.env.KS_KEY, app: "from-checkout" });
const status = await client.ready({ timeoutMs: 15000 });
const before = client.isEnabled(process.env.KS_FLAG, { key: "u1" }, false);
console.log(JSON.stringify({ status, before }));
const killed = await new Promise((resolve) => {
  client.on("change", () => { if (!client.isEnabled(process.env.KS_FLAG, { key: "u1" }, true)) resolve(true); });
  setTimeout(() => resolve(false), 15000);
});
console.log(JSON.stringify({ killed }));
await client.close();
`,
  );
  const child = spawn(process.execPath, ["main.mjs"], {
    cwd: app,
    env: { ...env, KS_URL: target.baseUrl, KS_KEY: t.sdk, KS_FLAG: FLAG, NODE_OPTIONS: "" },
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 60_000,
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => JSON.parse(((await lines.next()).value as string | undefined) ?? "null") as unknown;
  // The kill goes once the installed client is ready with the flag on.
  expect(await next()).toEqual({ status: "ready", before: true });
  const kill = await api("POST", `/v1/envs/production/flags/${FLAG}/kill`, { key: t.operator, json: { reason: "install test" } });
  expect(kill.status).toBe(200);
  expect(await next()).toEqual({ killed: true });
  const [code] = (await once(child, "exit")) as [number | null];
  expect(code).toBe(0);
}, 300_000);
