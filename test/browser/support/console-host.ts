/**
 * A host serving the console for the browser tests: the real Node host
 * in-process, or the Worker under `wrangler dev`, each with a fresh tenant
 * (one key per role), the flag `model.fable-5`, and helpers to sign in.
 */
import type { BrowserContext, Page } from "playwright-core";
import { expect } from "vitest";
import { apiFor, type Api } from "../../support/api.js";
import { startContractTarget, type ContractTarget } from "../../support/contract-target.js";
import { createTenant, type TestTenant } from "../../support/tenants.js";
import { startWorkerTarget } from "../../support/worker-target.js";

export const FLAG = "model.fable-5";

export type HostName = "node" | "worker";

export interface ConsoleHost {
  name: HostName;
  target: ContractTarget;
  api: Api;
  t: TestTenant;
  url(path: string): string;
  close(): Promise<void>;
}

export async function startConsoleHost(name: HostName): Promise<ConsoleHost> {
  const target = name === "worker" ? await startWorkerTarget() : await startContractTarget();
  const api = apiFor(target);
  const t = await createTenant(target, api);
  const created = await api("POST", "/v1/flags", { key: t.admin, json: { key: FLAG, kind: "boolean", description: "Availability of Fable 5" } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { name, target, api, t, url: (path) => `${target.baseUrl}${path}`, close: () => target.close() };
}

/** Signs `page` in with `key` through the form, and waits for the overview. */
export async function signIn(page: Page, host: ConsoleHost, key: string): Promise<void> {
  await page.goto(host.url("/console/sign-in"));
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect.poll(() => new URL(page.url()).pathname).toBe("/console");
}

/** The session cookie of a browser context (the console's only way to know who signs). */
export async function sessionCookie(context: BrowserContext): Promise<string> {
  const cookie = (await context.cookies()).find((c) => c.name === "ks_session");
  if (!cookie) throw new Error("no session cookie");
  return cookie.value;
}

/** Errors the page reported: uncaught exceptions, and console errors other than expected 4xx answers. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  return errors;
}
