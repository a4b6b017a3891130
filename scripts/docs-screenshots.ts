/**
 * `npm run docs:screenshots`: the pictures of docs/console.md. Starts the Node
 * host on a fresh database in a temporary folder, sets up the directive case
 * (two models, a segment, a directive, a block and a kill, two SDK instances),
 * signs in with headless Chromium and captures every console page at 1280 and
 * 390 px wide into docs/console/.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { createClient } from "@killswitch/sdk/node.js";
import { startServer } from "../src/node/server.js";
import { nodeStreamHost } from "../src/node/stream/index.js";
import { launchChromium } from "../test/browser/support/chromium.js";

const OUT = fileURLToPath(new URL("../docs/console/", import.meta.url));
const WIDTHS = [1280, 390] as const;
const REF = "EXPORT-2026-001";

const dir = mkdtempSync(join(tmpdir(), "killswitch-screenshots-"));
const rootToken = "root-screenshots-only";
const server = await startServer({ databaseUrl: `file:${join(dir, "db.sqlite")}`, port: 0, rootToken, stream: nodeStreamHost({}) });

async function call(method: string, path: string, key: string, json?: unknown): Promise<any> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(json ? { "content-type": "application/json" } : {}) },
    body: json ? JSON.stringify(json) : undefined,
  });
  const body = res.status === 204 ? null : await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

const clients: ReturnType<typeof createClient>[] = [];
const browser = await launchChromium();
try {
  const { adminKey: admin } = await call("POST", "/v1/tenants", rootToken, { name: "Acme AI" });
  await call("POST", "/v1/envs", admin, { key: "staging" });
  const ops = (await call("POST", "/v1/keys", admin, { name: "ops-key", role: "operator" })).secret as string;
  for (const [env, app] of [["production", "chat-api"], ["production", "batch-worker"], ["staging", "chat-api"]] as const) {
    const sdk = (await call("POST", "/v1/keys", admin, { name: `${app} ${env}`, role: "sdk", env })).secret as string;
    const client = createClient({ url: server.url, sdkKey: sdk, app });
    clients.push(client);
    await client.ready({ timeoutMs: 10_000 });
  }
  for (const [key, description] of [["model.fable-5", "Availability of Fable 5"], ["model.mythos-5", "Availability of Mythos 5"], ["model.haiku-2", "Availability of Haiku 2"]]) {
    await call("POST", "/v1/flags", admin, { key, kind: "boolean", description });
  }
  await call("PUT", "/v1/envs/production/segments/foreign-nationals", admin, {
    description: "No US citizenship, or unknown",
    include: [],
    exclude: ["user-123"],
    rules: [{ when: [{ attribute: "nationality", op: "notIn", values: ["US"] }] }],
    reason: "The segment the export directive names",
  });
  await call("POST", "/v1/directives", ops, {
    ref: REF,
    title: "No foreign national, staff included, may use Fable 5 or Mythos 5",
    issuer: "Export control office",
    receivedAt: "2026-11-27T17:21:00Z",
  });
  await call("POST", "/v1/envs/production/flags/model.fable-5/block", ops, { segment: "foreign-nationals", reason: "Export directive received 17:21", directive: REF });
  const blocked = await call("POST", "/v1/envs/production/flags/model.mythos-5/block", ops, {
    when: [{ attribute: "nationality", op: "notIn", values: ["US"] }],
    reason: "Export directive received 17:21",
    directive: REF,
  });
  await call("POST", "/v1/envs/staging/flags/model.haiku-2/kill", ops, { reason: "Load test of the kill path" });
  // Let the instances apply everything before the pictures.
  await new Promise((resolve) => setTimeout(resolve, 1000));

  const flag = "/console/envs/production/flags/model.fable-5";
  const ruleId = (await call("GET", "/v1/envs/production/flags/model.fable-5", admin)).rules[0].id as string;
  const shots: { name: string; path: string; prepare?: (page: Page) => Promise<void> }[] = [
    { name: "overview", path: "/console" },
    { name: "flag", path: `/console/envs/production/flags/model.mythos-5?change=${blocked.version}` },
    { name: "flag-segment", path: flag },
    { name: "block", path: `${flag}/block` },
    { name: "kill", path: `${flag}/kill` },
    { name: "restore", path: "/console/envs/staging/flags/model.haiku-2/restore" },
    { name: "remove", path: `${flag}/rules/${ruleId}/remove` },
    { name: "instances", path: "/console/envs/production/instances" },
    { name: "audit", path: "/console/audit" },
    { name: "directives", path: "/console/directives" },
    { name: "directive", path: `/console/directives/${REF}` },
    { name: "report", path: `/console/directives/${REF}/report` },
    {
      name: "explain",
      path: "/console/envs/production/explain",
      prepare: async (page) => {
        await page.getByRole("button", { name: "Explain" }).click();
        await page.getByRole("heading", { name: /^At version/ }).waitFor();
      },
    },
  ];
  for (const width of WIDTHS) {
    const context = await browser.newContext({ viewport: { width, height: width === 390 ? 844 : 800 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await page.goto(`${server.url}/console/sign-in`);
    await page.screenshot({ path: join(OUT, `sign-in-${width}.png`), fullPage: true });
    await page.getByLabel("API key").fill(ops);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => url.pathname === "/console");
    for (const shot of shots) {
      await page.goto(`${server.url}${shot.path}`);
      await shot.prepare?.(page);
      await page.screenshot({ path: join(OUT, `${shot.name}-${width}.png`), fullPage: true });
    }
    await context.close();
  }
  console.log(`Wrote ${(shots.length + 1) * WIDTHS.length} screenshots to docs/console/.`);
} finally {
  await Promise.all(clients.map((c) => c.close()));
  await browser.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
