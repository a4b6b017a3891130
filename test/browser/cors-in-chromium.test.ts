/**
 * CORS as a real browser enforces it: headless Chromium loads a page from one
 * origin (a static server on 127.0.0.1) and calls the real Node service on
 * another port. The browser sends its preflights and accepts the answers of the
 * browser-facing routes (the snapshot with a readable ETag, OFREP), refuses to
 * hand a page an admin answer, and the SDK's snapshot polling keeps a page up
 * to date when no WebSocket can connect.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import type * as Sdk from "@killswitch/sdk";
import type { EvaluationResult, KillswitchClient, ReadyStatus } from "@killswitch/sdk";
import type { Api } from "../support/api.js";
import type { ContractTarget } from "../support/contract-target.js";
import type { TestTenant } from "../support/tenants.js";
import { startSdkPage, type SdkPage } from "./support/sdk-page.js";

const FLAG = "model.fable-5";

/** The page only loads the SDK core; each test drives it through `page.evaluate`. */
const PAGE = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>CORS</title><link rel="icon" href="data:," /></head>
  <body>
    <script type="module">
      import * as sdk from "/sdk/index.js";
      window.sdk = sdk;
      document.documentElement.dataset.loaded = "true";
    </script>
  </body>
</html>`;

/** What the page holds on `window`. */
interface PageGlobals {
  sdk: typeof Sdk;
  client?: KillswitchClient;
  changes: { version: number; evaluation: EvaluationResult }[];
}

let browserPage: SdkPage;
let target: ContractTarget;
let api: Api;
let t: TestTenant;
let page: Page;
let pageErrors: string[];
/** Each answer of the service the page saw: `METHOD path status`. */
const serviceResponses: string[] = [];

const chromium = inject("chromium");

// Without a browser the run says so once (support/chromium-setup.ts) and these skip.
describe.skipIf("missing" in chromium)("CORS in headless Chromium", () => {
  beforeAll(async () => {
    browserPage = await startSdkPage(chromium, PAGE, FLAG);
    ({ target, api, t, page, pageErrors } = browserPage);
    page.on("response", (response) => {
      const url = new URL(response.url());
      if (url.origin === target.baseUrl) serviceResponses.push(`${response.request().method()} ${url.pathname} ${response.status()}`);
    });
    await browserPage.load();
    // The premise: the page and the service are different origins (same host, other port).
    expect(new URL(browserPage.site.url).origin).not.toBe(new URL(target.baseUrl).origin);
  });

  afterAll(async () => {
    await page?.evaluate(() => (window as unknown as PageGlobals).client?.close()).catch(() => {});
    await browserPage?.close();
  });

  it("lets a page on another origin read the snapshot with its ETag, and a 304 for it", async () => {
    const read = await page.evaluate(
      async ([base, key]) => {
        const first = await fetch(`${base}/v1/envs/production/snapshot`, { headers: { authorization: `Bearer ${key}` } });
        const etag = first.headers.get("etag");
        const body = (await first.json()) as { env: string; flags: Record<string, unknown> };
        const again = await fetch(`${base}/v1/snapshot`, { headers: { authorization: `Bearer ${key}`, "if-none-match": etag ?? "" } });
        return { status: first.status, etag, env: body.env, flags: Object.keys(body.flags), againStatus: again.status };
      },
      [target.baseUrl, t.sdk] as const,
    );
    expect(read).toEqual({ status: 200, etag: expect.stringMatching(/^"\d+-production-[0-9a-f]{24}-\d+"$/), env: "production", flags: [FLAG], againStatus: 304 });
  });

  it("lets a page read a refusal instead of a network error", async () => {
    const status = await page.evaluate(async (base) => (await fetch(`${base}/v1/snapshot`, { headers: { authorization: "Bearer ks_nope_nope" } })).status, target.baseUrl);
    expect(status).toBe(401);
  });

  it("lets a page on another origin evaluate over OFREP, with a JSON body and an API key header", async () => {
    const answers = await page.evaluate(
      async ([base, key, flag]) => {
        const body = JSON.stringify({ context: { targetingKey: "browser-user" } });
        const single = await fetch(`${base}/ofrep/v1/evaluate/flags/${flag}`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body,
        });
        const bulk = await fetch(`${base}/ofrep/v1/evaluate/flags`, { method: "POST", headers: { "x-api-key": key, "content-type": "application/json" }, body });
        return { single: await single.json(), bulkEtag: bulk.headers.get("etag"), bulk: await bulk.json() };
      },
      [target.baseUrl, t.sdk, FLAG] as const,
    );
    expect(answers.single).toMatchObject({ key: FLAG, value: true, variant: "on" });
    expect(answers.bulkEtag).toEqual(expect.any(String));
    expect(answers.bulk).toMatchObject({ flags: [expect.objectContaining({ key: FLAG, value: true })] });
  });

  it("keeps admin answers from a page on another origin: the browser refuses the response", async () => {
    const outcome = await page.evaluate(
      async ([base, key]) => {
        try {
          const res = await fetch(`${base}/v1/flags`, { headers: { authorization: `Bearer ${key}` } });
          return `read ${res.status}`;
        } catch (error) {
          return `refused: ${(error as Error).name}`;
        }
      },
      [target.baseUrl, t.admin] as const,
    );
    expect(outcome).toBe("refused: TypeError");
  });

  it(
    "keeps the SDK up to date by polling the snapshot cross-origin when no WebSocket can connect",
    async () => {
      serviceResponses.length = 0;
      const started = await page.evaluate(
        async ([base, key, flag]) => {
          const g = window as unknown as PageGlobals;
          // A network that lets no WebSocket through: every socket is refused.
          class BlockedWebSocket extends WebSocket {
            constructor(_url: string | URL, protocols?: string | string[]) {
              super("ws://127.0.0.1:9/", protocols);
            }
          }
          g.changes = [];
          const client = g.sdk.createClient({ url: base, sdkKey: key, app: "cors-test", WebSocket: BlockedWebSocket, reconnectDelayMs: 50 });
          g.client = client;
          client.on("change", ({ version }) => g.changes.push({ version, evaluation: client.evaluate(flag, { key: "u1" }, true) }));
          const status: ReadyStatus = await client.ready({ timeoutMs: 10_000 });
          return { status, version: client.version, evaluation: client.evaluate(flag, { key: "u1" }, false) };
        },
        [target.baseUrl, t.sdk, FLAG] as const,
      );
      expect(started).toMatchObject({ status: "ready", evaluation: { value: true, reason: "STATIC" } });
      // The first poll was answered 200; the SDK read its ETag (exposed) and sends it back, so the
      // polls that follow, while nothing changes, are answered 304.
      expect(serviceResponses[0]).toBe("GET /v1/snapshot 200");
      await vi.waitFor(() => expect(serviceResponses).toContain("GET /v1/snapshot 304"), { timeout: 10_000, interval: 50 });

      const kill = await api("POST", `/v1/envs/production/flags/${FLAG}/kill`, { key: t.operator, json: { reason: "cors test" } });
      expect(kill.status, JSON.stringify(kill.body)).toBe(200);
      const version: number = kill.body.version;

      await page.waitForFunction((v) => (window as unknown as PageGlobals).changes.some((c) => c.version >= v), version);
      const changed = await page.evaluate((v) => (window as unknown as PageGlobals).changes.find((c) => c.version >= v)!, version);
      expect(changed.evaluation).toEqual({ value: false, variant: "off", reason: "DISABLED" });
      expect(pageErrors).toEqual([]);
    },
    60_000,
  );
});
