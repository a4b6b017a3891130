import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { blockedForForeigners, foreignNationals } from "./support/flags.js";
import { FakeServer, TEST_KEY } from "./support/fake-server.js";

const run = promisify(execFile);
const sdkDir = fileURLToPath(new URL("..", import.meta.url));
// The workspace root: there `@killswitch/sdk` resolves through node_modules like in an application.
const root = fileURLToPath(new URL("../..", import.meta.url));

let server: FakeServer;

beforeAll(async () => {
  await run(process.execPath, ["build.mjs"], { cwd: sdkDir });
  server = await FakeServer.start({ flags: [blockedForForeigners()], segments: [foreignNationals()] });
}, 60_000);

afterAll(async () => {
  await server?.close();
});

it("the built core imports nothing: no runtime dependency, and no Node module a browser bundler would follow", async () => {
  const core = await readFile(new URL("../dist/index.js", import.meta.url), "utf8");
  expect(core).not.toMatch(/\bfrom\s*["']/);
  expect(core).not.toMatch(/\brequire\(/);
  // `ws` and `node:fs/promises` are imported through a variable, at run time, on Node only.
  expect(core).not.toMatch(/\bimport\s*\(\s*["'`]/);
  const provider = await readFile(new URL("../dist/openfeature.js", import.meta.url), "utf8");
  const imported = [...provider.matchAll(/from\s*"([^"]+)"/g)].map((m) => m[1]);
  expect(imported.sort()).toEqual(["./index.js", "@openfeature/server-sdk"]);
});

it("`import { createClient } from \"@killswitch/sdk\"` works in plain Node 20, which loads ws itself", async () => {
  const script = `
    import { createClient } from "@killswitch/sdk";
    import { KillswitchProvider } from "@killswitch/sdk/openfeature";
    const client = createClient({ url: process.env.KS_URL, sdkKey: process.env.KS_KEY, app: "package-test" });
    const status = await client.ready({ timeoutMs: 10000 });
    const us = client.isEnabled("model.fable-5", { key: "u1", nationality: "US" }, false);
    const fr = client.isEnabled("model.fable-5", { key: "u2", nationality: "FR" }, true);
    const provider = new KillswitchProvider(client);
    console.log(JSON.stringify({ node: process.version, globalWebSocket: typeof globalThis.WebSocket, status, us, fr, provider: provider.metadata.name }));
    await provider.onClose();
    await client.close();
  `;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
    cwd: root,
    env: { ...process.env, KS_URL: server.url, KS_KEY: TEST_KEY, NODE_OPTIONS: "" },
    timeout: 30_000,
  });
  const out = JSON.parse(stdout) as Record<string, unknown>;
  expect(out).toMatchObject({ globalWebSocket: "undefined", status: "ready", us: true, fr: false, provider: "killswitch" });
  expect(out.node).toMatch(/^v20\./);
  // Without a global WebSocket the SDK used `ws`, hence the Authorization header.
  expect(server.connections.at(-1)).toMatchObject({ auth: "header", hello: { app: "package-test" } });
}, 40_000);
