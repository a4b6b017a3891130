/**
 * The console's accessibility in headless Chromium, on the Node host: an
 * axe-core scan of every page, in light and dark schemes, at 1280 and 320 px,
 * finds no serious or critical violation, and no page scrolls sideways at
 * 320 px; and the block flow is completed with the keyboard alone (Tab, Enter
 * and typing), from the sign-in form to the change applied.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeClients, trackedClient, type TrackedClient } from "../e2e/support/sdk-clients.js";
import { launchChromium } from "./support/chromium.js";
import { FLAG, signIn, startConsoleHost, type ConsoleHost } from "./support/console-host.js";

const REF = "EXPORT-2026-001";
let browser: Browser;
let host: ConsoleHost;
let sdk: TrackedClient;
let axeSource: string;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

beforeAll(async () => {
  axeSource = await readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
  host = await startConsoleHost("node");
  const { api, t } = host;
  const ok = (status: number, body: unknown, expected: number) => expect(status, JSON.stringify(body)).toBe(expected);
  let res = await api("PUT", "/v1/envs/production/segments/foreign-nationals", {
    key: t.admin,
    json: { description: "No US citizenship, or unknown", include: [], exclude: [], rules: [{ when: [{ attribute: "nationality", op: "notIn", values: ["US"] }] }], reason: "setup" },
  });
  ok(res.status, res.body, 201);
  res = await api("POST", "/v1/directives", { key: t.admin, json: { ref: REF, title: "No foreign national may use Fable 5", issuer: "Export office", receivedAt: "2026-11-27T17:21:00Z" } });
  ok(res.status, res.body, 201);
  res = await api("POST", `/v1/envs/production/flags/${FLAG}/block`, { key: t.admin, json: { segment: "foreign-nationals", reason: "Export directive", directive: REF } });
  ok(res.status, res.body, 200);
  sdk = trackedClient({ url: host.target.baseUrl, sdkKey: t.sdk, app: "a11y-test" });
  expect(await sdk.client.ready({ timeoutMs: 20_000 })).toBe("ready");
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await closeClients();
  await browser?.close();
  await host?.close();
});

async function scan(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run(document, { resultTypes: ["violations"] })).violations;
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

describe("every page", () => {
  it("is scanned by a scanner that does find violations: a field without its label is one", async () => {
    const page = await browser.newPage();
    await page.goto(host.url("/console/sign-in"));
    await page.evaluate(() => document.querySelector('label[for="key"]')?.remove());
    expect((await scan(page)).join("\n")).toMatch(/^label \(critical\)/m);
    await page.close();
  });

  it(
    "passes an axe-core scan with no serious or critical violation, in both colour schemes, at 1280 and 320 px",
    async () => {
      const version = (await host.api("GET", "/v1/envs/production", { key: host.t.admin })).body.version as number;
      const flag = `/console/envs/production/flags/${FLAG}`;
      const ruleId = (await host.api("GET", `/v1/envs/production/flags/${FLAG}`, { key: host.t.admin })).body.rules[0].id as string;
      const pages: { path: string; prepare?: (page: Page) => Promise<void> }[] = [
        { path: "/console" },
        { path: `${flag}?change=${version}` },
        { path: `${flag}/block` },
        { path: `${flag}/kill` },
        { path: `${flag}/restore` },
        { path: `${flag}/rules/${ruleId}/remove` },
        {
          path: `${flag}/kill`,
          prepare: async (page) => {
            await page.getByLabel("Reason").fill("x");
            await page.getByLabel(`Type ${FLAG} to confirm`).fill("wrong");
            await page.getByRole("button", { name: "Kill", exact: true }).click();
            await page.getByRole("alert").waitFor();
          },
        },
        { path: "/console/envs/production/instances" },
        { path: "/console/audit" },
        { path: `/console/audit?directive=${REF}&action=flag.block` },
        { path: "/console/directives" },
        { path: `/console/directives/${REF}` },
        { path: `/console/directives/${REF}/report` },
        {
          path: "/console/envs/production/explain",
          prepare: async (page) => {
            await page.getByRole("button", { name: "Explain" }).click();
            await page.getByRole("heading", { name: /^At version/ }).waitFor();
          },
        },
        { path: "/console/no-such-page" },
      ];
      const found: string[] = [];
      // Contrast depends on the scheme, layout on the width: dark at 320 px would repeat both.
      const variants = [["light", 1280], ["light", 320], ["dark", 1280]] as const;
      for (const [colorScheme, width] of variants) {
        {
          const context = await browser.newContext({ viewport: { width, height: 800 }, colorScheme });
          const page = await context.newPage();
          await page.goto(host.url("/console/sign-in"));
          for (const v of await scan(page)) found.push(`/console/sign-in ${colorScheme} ${width}: ${v}`);
          await signIn(page, host, host.t.admin);
          for (const { path, prepare } of pages) {
            await page.goto(host.url(path));
            await prepare?.(page);
            for (const v of await scan(page)) found.push(`${path} ${colorScheme} ${width}: ${v}`);
            // The report is the API's printable page (laid out for paper), shown as the API renders it.
            if (width === 320 && !path.endsWith("/report")) {
              const wide = await page.evaluate(() => document.documentElement.scrollWidth);
              if (wide > 320) found.push(`${path} ${colorScheme} ${width}: the page is ${wide} px wide`);
            }
          }
          await context.close();
        }
      }
      expect(found).toEqual([]);
    },
    240_000,
  );
});

describe("the directive's printable report", () => {
  it("opens from the directive's page with its own style admitted by digest, and no inline script", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const refused: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") refused.push(message.text());
    });
    await signIn(page, host, host.t.viewer);
    await page.goto(host.url(`/console/directives/${REF}`));
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/report")), page.getByRole("link", { name: "Printable report" }).click()]);
    expect(response.status()).toBe(200);
    const csp = response.headers()["content-security-policy"]!;
    expect(csp).toMatch(/style-src 'self' 'sha256-[A-Za-z0-9+/]+=*'/);
    expect(csp).toContain("script-src 'self'");
    expect(await page.locator("h1").textContent()).toContain(`Directive ${REF}`);
    // The report's inline style applied: its body is at most 60rem wide.
    expect(await page.evaluate(() => getComputedStyle(document.body).maxWidth)).toBe("960px");
    expect(refused).toEqual([]);
    await context.close();
  });
});

describe("the keyboard alone", () => {
  /** Presses Tab until the focused element is the one `matches` names; fails after `max` presses. */
  async function tabTo(page: Page, description: string, matches: () => boolean, max = 40): Promise<void> {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press("Tab");
      if (await page.evaluate(matches)) return;
    }
    throw new Error(`Tab never reached ${description}`);
  }
  const focusedIs = (page: Page, selector: string) => tabTo(page, selector, new Function(`return document.activeElement?.matches(${JSON.stringify(selector)}) ?? false`) as () => boolean);
  const focusedLink = (page: Page, text: string) =>
    tabTo(page, `the link "${text}"`, new Function(`const a = document.activeElement; return a?.tagName === "A" && a.textContent.trim().startsWith(${JSON.stringify(text)})`) as () => boolean);

  it(
    "signs in and blocks a flag with Tab, Enter and typing, and sees the change applied",
    async () => {
      const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
      const page = await context.newPage();
      await page.goto(host.url("/console/sign-in"));
      await focusedIs(page, "#key");
      await page.keyboard.type(host.t.operator);
      await page.keyboard.press("Enter");
      await page.waitForURL((url) => url.pathname === "/console");

      // The overview's cell of the flag, then the Block action.
      await tabTo(page, "the flag's cell", () => document.activeElement?.textContent?.includes("model.fable-5 in production") ?? false);
      await page.keyboard.press("Enter");
      await page.waitForURL((url) => url.pathname.endsWith(`/flags/${FLAG}`));
      await focusedLink(page, "Block");
      await page.keyboard.press("Enter");
      await page.waitForURL((url) => url.pathname.endsWith("/block"));

      await focusedIs(page, "#attribute-0");
      await page.keyboard.type("employer");
      await page.keyboard.press("Tab"); // operator
      await page.keyboard.type("in");
      await page.keyboard.press("Tab"); // values
      await page.keyboard.type("acme-defense");
      await focusedIs(page, "#reason");
      await page.keyboard.type("Contractor excluded by the directive");
      await page.keyboard.press("Tab"); // directive
      await page.keyboard.type(REF);
      await page.keyboard.press("Enter"); // submits with the form's first button: Block
      await page.waitForURL((url) => url.searchParams.has("change"));
      await expect.poll(() => page.locator("#propagation-words").textContent(), { timeout: 20_000 }).toMatch(/^Complete: applied by 1 of 1 /);
      expect(sdk.client.evaluate(FLAG, { key: "u", nationality: "US", employer: "acme-defense" }, true).value).toBe(false);
      expect(await page.locator(".rule-words").first().textContent()).toMatch(/^off for employer in acme-defense · directive EXPORT-2026-001/);
      await context.close();
    },
    120_000,
  );
});
