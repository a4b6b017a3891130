/**
 * The operator console end to end, in headless Chromium, on both hosts (the
 * Node host in-process, the Worker under `wrangler dev`): an admin signs in,
 * blocks model.fable-5 for `nationality notIn US` with a reason and a directive,
 * watches a real SDK client apply it ("1 of 1"), kills and restores the flag
 * with the typed confirmation, and signs out; the old session cookie then opens
 * nothing. Also: a pending change's bar follows the event stream until an
 * instance held back by the test applies it, a revoked key ends its session, a viewer sees no write action,
 * a form posted without its token is refused, an sdk key cannot sign in, and
 * failed sign-ins are rate-limited.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRawSocket } from "../e2e/support/raw-socket.js";
import { closeClients, trackedClient, type TrackedClient } from "../e2e/support/sdk-clients.js";
import { launchChromium } from "./support/chromium.js";
import { collectPageErrors, FLAG, sessionCookie, signIn, startConsoleHost, type ConsoleHost, type HostName } from "./support/console-host.js";

const HOSTS: HostName[] = ["node", "worker"];

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await closeClients();
  await browser?.close();
});

describe.each(HOSTS)("the console on the %s host", (hostName) => {
  let host: ConsoleHost;
  let sdk: TrackedClient;

  beforeAll(async () => {
    host = await startConsoleHost(hostName);
    sdk = trackedClient({ url: host.target.baseUrl, sdkKey: host.t.sdk, app: "console-e2e", reconnectDelayMs: 100 });
    expect(await sdk.client.ready({ timeoutMs: 20_000 })).toBe("ready");
  }, 180_000);
  afterAll(async () => {
    await sdk?.client.close();
    await host?.close();
  });

  /** Waits until the page's propagation bar says the change reached the one connected client. */
  async function expectAppliedByOne(page: Page): Promise<number> {
    const words = page.locator("#propagation-words");
    await expect.poll(() => words.textContent(), { timeout: 20_000 }).toMatch(/^Complete: applied by 1 of 1 connected instances \(100 %\)/);
    const bar = page.locator("#propagation progress");
    expect(await bar.getAttribute("value")).toBe("1");
    expect(await bar.getAttribute("max")).toBe("1");
    return Number(new URL(page.url()).searchParams.get("change"));
  }

  it(
    "carries out the directive flow: sign in, block with a directive, watch it applied, kill, restore, sign out",
    async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const errors = collectPageErrors(page);

      await page.goto(host.url("/console"));
      expect(new URL(page.url()).pathname).toBe("/console/sign-in");
      await signIn(page, host, host.t.admin);
      await page.getByRole("link", { name: `${FLAG} in production` }).click();
      await expect.poll(() => page.locator("h1").textContent()).toContain(FLAG);

      // Block nationality notIn US, with a reason and a directive.
      await page.getByRole("link", { name: "Block", exact: true }).click();
      await page.getByLabel("Attribute").selectOption("nationality");
      await page.getByLabel("Operator").selectOption("notIn");
      await page.getByLabel("Values").fill("US");
      await page.getByLabel("Reason").fill("Export directive received 17:21");
      await page.getByLabel("Directive (optional)").fill("EXPORT-2026-001");
      await page.getByRole("button", { name: "Block", exact: true }).click();
      const blocked = await expectAppliedByOne(page);
      expect(sdk.client.version).toBeGreaterThanOrEqual(blocked);
      expect(sdk.client.evaluate(FLAG, { key: "u1", nationality: "FR" }, true).value).toBe(false);
      expect(sdk.client.evaluate(FLAG, { key: "u2", nationality: "US" }, false).value).toBe(true);
      await expect
        .poll(() => page.locator(".rule-words").first().textContent())
        .toMatch(/^off for nationality not in US · directive EXPORT-2026-001 · by admin, \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);

      // Kill: the typed confirmation is required.
      await page.getByRole("link", { name: "Kill", exact: true }).click();
      await page.getByLabel("Reason").fill("Stop every use until the order is clarified");
      await page.getByLabel(`Type ${FLAG} to confirm`).fill("model.fable-4");
      await page.getByRole("button", { name: "Kill", exact: true }).click();
      await expect.poll(() => page.getByRole("alert").textContent()).toContain(`Type the flag's key, ${FLAG}, to confirm.`);
      expect(sdk.client.evaluate(FLAG, { key: "u2", nationality: "US" }, false).value).toBe(true);
      await page.getByLabel(`Type ${FLAG} to confirm`).fill(FLAG);
      await page.getByRole("button", { name: "Kill", exact: true }).click();
      const killed = await expectAppliedByOne(page);
      expect(killed).toBeGreaterThan(blocked);
      expect(sdk.client.evaluate(FLAG, { key: "u2", nationality: "US" }, true).value).toBe(false);
      await expect.poll(() => page.locator(".state-line .badge").textContent()).toContain("Killed: off for everyone");

      // Restore.
      await page.getByRole("link", { name: "Restore", exact: true }).click();
      await page.getByLabel("Reason").fill("Order clarified: only the block applies");
      await page.getByRole("button", { name: "Restore", exact: true }).click();
      const restored = await expectAppliedByOne(page);
      expect(restored).toBeGreaterThan(killed);
      expect(sdk.client.evaluate(FLAG, { key: "u2", nationality: "US" }, false).value).toBe(true);
      expect(sdk.client.evaluate(FLAG, { key: "u1", nationality: "FR" }, true).value).toBe(false);

      // The audit log holds the three changes with the console's actor.
      const audit = await host.api("GET", "/v1/audit?limit=3", { key: host.t.admin });
      expect(audit.body.items.map((e: { action: string; actor: { name: string } }) => `${e.action} by ${e.actor.name}`)).toEqual([
        "flag.restore by admin",
        "flag.kill by admin",
        "flag.block by admin",
      ]);

      // Sign out: the old cookie no longer opens anything.
      const cookie = await sessionCookie(context);
      await page.getByRole("button", { name: "Sign out" }).click();
      await expect.poll(() => page.getByRole("status").textContent()).toBe("You are signed out.");
      const after = await fetch(host.url("/console"), { headers: { cookie: `ks_session=${cookie}` }, redirect: "manual" });
      expect(after.status).toBe(303);
      expect(after.headers.get("location")).toBe("/console/sign-in");
      expect(errors).toEqual([]);
      await context.close();
    },
    120_000,
  );

  it(
    "updates the overview and the instances live from the operator event stream",
    async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await signIn(page, host, host.t.viewer);
      /** Opens a page and waits until its event stream is open (the console has passed the stream's answer on). */
      const openLive = async (path: string) => {
        const stream = page.waitForResponse((r) => r.url().endsWith("/console/api/v1/events"));
        await page.goto(host.url(path));
        await stream;
      };
      await openLive("/console");
      const cell = page.locator("#overview table").getByRole("link", { name: `${FLAG} in production` });
      const before = await cell.textContent();
      const url = page.url();
      const kill = await host.api("POST", `/v1/envs/production/flags/${FLAG}/kill`, { key: host.t.operator, json: { reason: "live test" } });
      expect(kill.status, JSON.stringify(kill.body)).toBe(200);
      await expect.poll(() => cell.textContent(), { timeout: 20_000 }).toContain("Killed");
      await expect.poll(() => page.locator("#overview .blocked").textContent()).toContain("live test");
      const restore = await host.api("POST", `/v1/envs/production/flags/${FLAG}/restore`, { key: host.t.operator, json: { reason: "live test over" } });
      expect(restore.status).toBe(200);
      await expect.poll(() => cell.textContent(), { timeout: 20_000 }).toBe(before);
      expect(page.url()).toBe(url); // no navigation: the cells changed in place

      await openLive("/console/envs/production/instances");
      await expect.poll(() => page.locator("#instances-body > p").textContent()).toMatch(/^1 connected/);
      const second = trackedClient({ url: host.target.baseUrl, sdkKey: host.t.sdk, app: "second-app" });
      await second.client.ready({ timeoutMs: 20_000 });
      await expect.poll(() => page.locator("#instances-body > p").textContent(), { timeout: 20_000 }).toMatch(/^2 connected/);
      expect(await page.locator("#instances-body").textContent()).toContain("second-app");
      await second.client.close();
      await expect.poll(() => page.locator("#instances-body > p").textContent(), { timeout: 20_000 }).toMatch(/^1 connected/);
      await context.close();
    },
    90_000,
  );

  it("keeps the key out of the browser: an opaque, HttpOnly, SameSite=Strict cookie, and strict security headers", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, host, host.t.operator);
    const cookies = await context.cookies();
    expect(cookies.map((c) => c.name).sort()).toEqual(["ks_session"]);
    const [session] = cookies;
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/console" });
    expect(session!.value).not.toContain(host.t.operator.slice(14));
    expect(await page.evaluate(() => [document.cookie, JSON.stringify(localStorage), JSON.stringify(sessionStorage)])).toEqual(["", "{}", "{}"]);
    const response = await page.goto(host.url("/console"));
    const csp = response!.headers()["content-security-policy"]!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(response!.headers()["x-frame-options"]).toBe("DENY");
    expect(response!.headers()["cache-control"]).toBe("no-store");
    await context.close();
  });

  it("ends the session when its key is revoked", async () => {
    const made = await host.api("POST", "/v1/keys", { key: host.t.admin, json: { name: "on-call", role: "operator" } });
    expect(made.status).toBe(201);
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, host, made.body.secret);
    await page.goto(host.url(`/console/envs/production/flags/${FLAG}`));
    await expect.poll(() => page.getByRole("link", { name: "Kill", exact: true }).count()).toBe(1);
    expect((await host.api("DELETE", `/v1/keys/${made.body.key.id}`, { key: host.t.admin })).status).toBe(204);
    await page.goto(host.url(`/console/envs/production/flags/${FLAG}`));
    expect(new URL(page.url()).pathname).toBe("/console/sign-in");
    await context.close();
  });

  it("shows a viewer every page without a write action, and refuses its forms", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, host, host.t.viewer);
    await page.goto(host.url(`/console/envs/production/flags/${FLAG}`));
    await expect.poll(() => page.locator("h1").textContent()).toContain(FLAG);
    expect(await page.locator(".rule").count()).toBeGreaterThan(0);
    for (const name of ["Block", "Kill", "Restore", "Remove"]) {
      expect(await page.getByRole("link", { name, exact: true }).count(), name).toBe(0);
      expect(await page.getByRole("button", { name, exact: true }).count(), name).toBe(0);
    }
    const form = await page.goto(host.url(`/console/envs/production/flags/${FLAG}/kill`));
    expect(form!.status()).toBe(403);
    await context.close();
  });

  it("refuses a form posted without its token, and changes nothing", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, host, host.t.admin);
    const before = await host.api("GET", `/v1/envs/production/flags/${FLAG}`, { key: host.t.admin });
    const forged = await page.request.post(host.url(`/console/envs/production/flags/${FLAG}/kill`), {
      form: { reason: "forged", confirm: FLAG },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain("security token");
    const wrong = await page.request.post(host.url(`/console/envs/production/flags/${FLAG}/kill`), {
      form: { reason: "forged", confirm: FLAG, csrf: "x".repeat(43) },
      maxRedirects: 0,
    });
    expect(wrong.status()).toBe(403);
    const after = await host.api("GET", `/v1/envs/production/flags/${FLAG}`, { key: host.t.admin });
    expect(after.body).toEqual(before.body);
    await context.close();
  });

  it(
    "follows a pending change's bar on the event stream until its last instance applies it",
    async () => {
      // An instance that applies a change only when the test says so.
      const slow = await openRawSocket(host.target.baseUrl, host.t.sdk);
      try {
        slow.ws.send(JSON.stringify({ t: "hello", protocol: 1, sdk: "test/1", app: "slow-app", instance: "i-slow" }));
        const snapshot = await slow.waitFor((m) => m !== "pong" && m.t === "snapshot");
        slow.ws.send(JSON.stringify({ t: "ack", v: (snapshot as { v: number }).v }));
        await expect.poll(async () => (await host.api("GET", "/v1/envs/production/instances", { key: host.t.viewer })).body.total).toBe(2);
        const kill = await host.api("POST", `/v1/envs/production/flags/${FLAG}/kill`, { key: host.t.operator, json: { reason: "bar test" } });
        expect(kill.status, JSON.stringify(kill.body)).toBe(200);

        const context = await browser.newContext();
        const page = await context.newPage();
        await signIn(page, host, host.t.viewer);
        const stream = page.waitForResponse((r) => r.url().endsWith("/console/api/v1/events"));
        await page.goto(host.url(`/console/envs/production/flags/${FLAG}?change=${kill.body.version}`));
        expect((await stream).status()).toBe(200);
        const words = page.locator("#propagation-words");
        expect(await words.textContent()).toMatch(/^In progress: applied by [01] of 2 connected instances/);
        expect(await page.locator("#propagation .pending").textContent()).toContain("i-slow (slow-app");

        slow.ws.send(JSON.stringify({ t: "ack", v: kill.body.version }));
        await expect.poll(() => words.textContent(), { timeout: 20_000 }).toMatch(/^Complete: applied by 2 of 2 connected instances \(100 %\)/);
        expect(await page.locator("#propagation .pending").count()).toBe(0);
        // Final: nothing left to follow.
        expect(await page.locator("#propagation").getAttribute("data-live-fragment")).toBeNull();
        await context.close();
      } finally {
        slow.ws.close();
        await slow.closed;
      }
      const restore = await host.api("POST", `/v1/envs/production/flags/${FLAG}/restore`, { key: host.t.operator, json: { reason: "bar test over" } });
      expect(restore.status).toBe(200);
    },
    90_000,
  );

  it(
    "refuses an sdk key and an unknown key at sign-in, then rate-limits failed sign-ins",
    async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(host.url("/console/sign-in"));
      await page.getByLabel("API key").fill(host.t.sdk);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect.poll(() => page.getByRole("alert").textContent()).toContain("An sdk key cannot sign in");
      expect(await context.cookies()).not.toContainEqual(expect.objectContaining({ name: "ks_session" }));

      // The limit is 10 failures per window; the Worker counts the edge's and the object's apart.
      let limited = false;
      for (let attempt = 0; attempt < 25 && !limited; attempt++) {
        await page.getByLabel("API key").fill(attempt % 2 === 0 ? host.t.revoked : "ks_nope");
        await page.getByRole("button", { name: "Sign in" }).click();
        const alert = (await page.getByRole("alert").textContent()) ?? "";
        limited = alert.includes("Too many failed sign-ins");
        if (!limited) expect(alert).toContain("The key is malformed, unknown or revoked.");
      }
      expect(limited).toBe(true);
      await context.close();
    },
    // Up to 25 sign-ins through the form: the Worker's are slow on a loaded machine.
    90_000,
  );
});
