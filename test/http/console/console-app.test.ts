/**
 * The console in process (no browser): what a session opens and what it does
 * not, and the strict reading of its addresses.
 */
import { afterEach, expect, it } from "vitest";
import { silentBroadcaster } from "../../../src/core/broadcaster.js";
import { createApp } from "../../../src/http/create-app.js";
import { openTempStore, type TempStore } from "../../support/temp-db.js";

let t: TempStore;
afterEach(() => t?.close());

async function signedIn(role: "admin" | "viewer" = "admin") {
  t = await openTempStore();
  const { tenant, adminKey } = await t.store.createTenant({ name: "acme" });
  const admin = (await t.store.authenticate(adminKey))!;
  const secret = role === "admin" ? adminKey : (await t.store.createKey(tenant.id, { keyId: admin.keyId, name: "admin", role: "admin" }, { name: "v", role })).secret;
  const session = await t.store.createSession((await t.store.authenticate(secret))!);
  const app = createApp({ store: t.store, broadcaster: silentBroadcaster, onError: () => {} });
  const cookie = `ks_session=${session.id}`;
  const request = (path: string, init: RequestInit = {}) => app.request(path, { ...init, headers: { cookie, ...init.headers } });
  return { app, request, session, adminKey };
}

it("sends a browser without a session to the sign-in form, and the live script's reads a 401", async () => {
  const { app } = await signedIn();
  const page = await app.request("/console/audit?flag=x");
  expect(page.status).toBe(303);
  expect(page.headers.get("location")).toBe(`/console/sign-in?next=${encodeURIComponent("/console/audit?flag=x")}`);
  const read = await app.request("/console/api/v1/flags");
  expect(read.status).toBe(401);
});

it("passes the API's reads through as the session's key, and no write", async () => {
  const { request, session } = await signedIn();
  const read = await request("/console/api/v1/envs");
  expect(read.status).toBe(200);
  expect((await read.json()).items).toEqual([expect.objectContaining({ key: "production" })]);
  const write = await request("/console/api/v1/envs", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrf: session.csrfToken, key: "staging" }),
  });
  expect(write.status).toBe(404);
  expect((await request("/console/api/v1/envs/staging")).status).toBe(404);
});

it("refuses a query parameter a page does not take, with a page that says which", async () => {
  const { request } = await signedIn();
  const res = await request("/console/directives?limt=5");
  expect(res.status).toBe(400);
  expect(res.headers.get("content-type")).toMatch(/^text\/html/);
  expect(await res.text()).toContain("unknown query parameter");
});

it("answers an unknown flag with the API's 404, as a page", async () => {
  const { request } = await signedIn();
  const res = await request("/console/envs/production/flags/model.none");
  expect(res.status).toBe(404);
  expect(await res.text()).toContain("model.none");
});

it("does not accept the session's cookie on the API itself", async () => {
  const { request } = await signedIn();
  expect((await request("/v1/flags")).status).toBe(401);
});

it("marks the session's key as used when a page calls the API as it", async () => {
  const { request, adminKey } = await signedIn();
  const before = (await t.store.authenticate(adminKey))!;
  const keys = async () => (await t.store.listKeys(before.tenantId, { limit: 100 })).items.find((k) => k.id === before.keyId);
  // createSession read the key but did not mark it used; the page's first API call does.
  expect((await keys())?.lastUsedAt ?? null).toBeNull();
  expect((await request("/console")).status).toBe(200);
  await expect.poll(async () => (await keys())?.lastUsedAt ?? null).not.toBeNull();
});
