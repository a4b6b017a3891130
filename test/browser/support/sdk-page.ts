/**
 * The start both browser tests share: the SDK's universal core built in memory
 * and served with a page from a static server on one origin, the real Node
 * service (with one tenant and one boolean flag) on another, and a headless
 * Chromium page that collects its errors. The caller adds its own listeners,
 * then `load()`s the page.
 */
import { build } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { expect } from "vitest";
import { buildOptions, entries } from "../../../sdk/build.mjs";
import { apiFor, type Api } from "../../support/api.js";
import { startContractTarget, type ContractTarget } from "../../support/contract-target.js";
import { createTenant, type TestTenant } from "../../support/tenants.js";
import { launchChromium, type FoundChromium, type MissingChromium } from "./chromium.js";
import { startStaticServer, type StaticServer } from "./static-server.js";

export interface SdkPage {
  target: ContractTarget;
  api: Api;
  t: TestTenant;
  site: StaticServer;
  browser: Browser;
  page: Page;
  /** Uncaught page errors, and whatever the test adds. */
  pageErrors: string[];
  /** Opens the page and waits until its module script has run (it sets `data-loaded`). */
  load(): Promise<void>;
  close(): Promise<void>;
}

/** `chromium` is what the run found (`inject("chromium")`). */
export async function startSdkPage(chromium: FoundChromium | MissingChromium, html: string | Buffer, flag: string): Promise<SdkPage> {
  // The core built as dist/index.js is, but in memory: another test may be rebuilding dist/ now.
  const built = await build({ ...buildOptions, entryPoints: [entries.index], write: false, outdir: "out" });
  const site = await startStaticServer({
    "/": { type: "text/html; charset=utf-8", body: html },
    "/sdk/index.js": { type: "text/javascript; charset=utf-8", body: Buffer.from(built.outputFiles[0]!.contents) },
  });
  const target = await startContractTarget();
  const api = apiFor(target);
  const t = await createTenant(target, api);
  expect((await api("POST", "/v1/flags", { key: t.admin, json: { key: flag, kind: "boolean" } })).status).toBe(201);

  const browser = await launchChromium(chromium);
  const page = await browser.newPage();
  page.setDefaultTimeout(15_000);
  const pageErrors: string[] = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  return {
    target,
    api,
    t,
    site,
    browser,
    page,
    pageErrors,
    async load() {
      await page.goto(`${site.url}/`);
      await page.waitForFunction(() => document.documentElement.dataset.loaded === "true");
    },
    async close() {
      await browser.close();
      await site.close();
      await target.close();
    },
  };
}
