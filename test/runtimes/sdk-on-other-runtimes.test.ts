/**
 * The SDK's universal core (sdk/dist/index.js) on Node 22 and on Deno, through each
 * runtime's global WebSocket: a script imports the built core by file URL, connects to
 * the real Node service (key as the second offered subprotocol), evaluates a flag, and
 * sees an operator's kill arrive as a `change`, verifying every frame with the
 * runtime's WebCrypto (the client is given the environment's public key). The script reports over stdout lines
 * (fixture/client.mjs); the runtimes come from this folder's package.json.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildOptions, entries } from "../../sdk/build.mjs";
import { apiFor, type Api } from "../support/api.js";
import { startContractTarget, type ContractTarget } from "../support/contract-target.js";
import { createTenant, type TestTenant } from "../support/tenants.js";
import { startLineProcess, type LineProcess } from "./support/line-process.js";
import { deno, node22, versionOf, type Runtime } from "./support/runtimes.js";

const STEP_MS = 15_000;

let target: ContractTarget;
let api: Api;
let t: TestTenant;
let dir: string;
const children: LineProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "killswitch-runtimes-"));
  // The core as dist/index.js is, but built in memory: another test may be rebuilding dist/ now.
  const built = await build({ ...buildOptions, entryPoints: [entries.index], write: false, outdir: "out" });
  writeFileSync(join(dir, "index.js"), built.outputFiles[0]!.contents);
  target = await startContractTarget();
  api = apiFor(target);
  t = await createTenant(target, api);
});

afterAll(async () => {
  for (const child of children) child.kill();
  await target?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.each([
  { label: "Node 22", make: node22, version: /^v(2[2-9]|[3-9]\d)\./ },
  { label: "Deno", make: deno, version: /^deno 2\./ },
])("the core on $label", ({ make, version }) => {
  it("connects over the global WebSocket, evaluates, and applies a kill pushed by the service", { timeout: 90_000 }, async () => {
    const runtime = make();
    expect(versionOf(runtime)).toMatch(version);
    const flag = `model.on-${runtime.name}`;
    const app = `runtime-${runtime.name}`;
    expect((await api("POST", "/v1/flags", { key: t.admin, json: { key: flag, kind: "boolean" } })).status).toBe(201);

    const folder = mkdtempSync(join(dir, `${runtime.name}-`));
    copyFileSync(fileURLToPath(new URL("./fixture/client.mjs", import.meta.url)), join(folder, "client.mjs"));
    const publicKey = (await api("GET", "/v1/envs/production/signing-key", { key: t.viewer })).body.keys[0].key;
    const config = { sdk: pathToFileURL(join(dir, "index.js")).href, url: target.baseUrl, sdkKey: t.sdk, app, flag, publicKey, timeoutMs: STEP_MS * 3 };
    writeFileSync(join(folder, "config.mjs"), `export default ${JSON.stringify(config)};\n`);

    const child = startLineProcess(runtime.bin, [...runtime.args, join(folder, "client.mjs")], folder);
    children.push(child);

    const ready = await child.next("ready", STEP_MS);
    expect(ready, child.output()).toMatchObject({
      globalWebSocket: "function",
      status: "ready",
      env: "production",
      evaluation: { value: true, variant: "on", reason: "STATIC" },
    });
    expect(ready.runtime.startsWith(runtime.name)).toBe(true);
    // The version the service holds: nothing was changed since the flag was created.
    expect(ready.version).toBe((await api("GET", "/v1/envs/production/snapshot", { key: t.viewer })).body.version);
    // One socket through the runtime's WebSocket, to the stream; the key offered as a
    // subprotocol, never in the URL; and no snapshot poll that could have made it ready.
    const streamUrl = `${target.baseUrl.replace(/^http/, "ws")}/v1/stream`;
    expect(ready.sockets).toEqual([{ url: streamUrl, protocols: ["killswitch.v1", t.sdk] }]);
    expect(ready.polls).toEqual([]);
    // The service lists the script as a connected instance.
    await vi.waitFor(
      async () => {
        const instances = await api("GET", "/v1/envs/production/instances", { key: t.viewer });
        expect(instances.body.items).toContainEqual(expect.objectContaining({ instance: ready.instance, app }));
      },
      { timeout: 10_000, interval: 100 },
    );

    const kill = await api("POST", `/v1/envs/production/flags/${flag}/kill`, { key: t.operator, json: { reason: `${runtime.name} test` } });
    expect(kill.status, JSON.stringify(kill.body)).toBe(200);
    const change = await child.next("change", STEP_MS);
    expect(change.version).toBeGreaterThanOrEqual(kill.body.version);
    expect(change.flags).toContain(flag);
    expect(change.evaluation).toEqual({ value: false, variant: "off", reason: "DISABLED" });
    // Still the one socket: the kill was a push on it, not a reconnect or a poll.
    expect(change.sockets).toHaveLength(1);
    expect(change.polls).toEqual([]);

    await child.next("done", STEP_MS);
    expect(await child.exited(STEP_MS)).toBe(0);
    expect(child.output()).not.toMatch(/"event":"(error|timeout)"/);
  });
});
