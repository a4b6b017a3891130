/**
 * The operator console under attack, on both hosts (the contract suite runs this
 * file on Node and on the Worker under `wrangler dev`): a session cookie carried
 * to another tenant or stitched from two, a revoked key's session, a form token
 * from another session, oversized form bodies, and NUL bytes in every kind of
 * form field, query and the sign-in key. Each is refused with a 4xx (never a
 * 5xx), and nothing is written: the audit head and the flag stay as they were.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "../../src/http/create-app.js";
import { okBody, type Api } from "../support/api.js";
import { startWithTenant } from "../support/contract-tenant.js";
import type { ContractTarget } from "../support/contract-target.js";
import { createTenant, type TestTenant } from "../support/tenants.js";

const FLAG = "model.fable-5";
const FLAG_PAGE = `/console/envs/production/flags/${FLAG}`;

let target: ContractTarget;
let api: Api;
let t: TestTenant;
let other: TestTenant;

interface Session {
  /** The cookie's value, `<tenant id>.<secret>`. */
  id: string;
  /** The form token every page's forms carry. */
  csrf: string;
}

/** One request to the console, never following a redirect; the answer's text is read. */
async function consoleRequest(path: string, init: { method?: string; cookie?: string; form?: Record<string, string>; body?: BodyInit; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.cookie !== undefined) headers.cookie = init.cookie;
  let body = init.body;
  if (init.form !== undefined) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(init.form).toString();
  }
  const response = await fetch(`${target.baseUrl}${path}`, { method: init.method ?? (body === undefined ? "GET" : "POST"), headers, body, redirect: "manual" });
  return { status: response.status, location: response.headers.get("location"), headers: response.headers, text: await response.text() };
}

const hidden = (html: string, name: string): string => {
  const value = new RegExp(`name="${name}" value="([^"]+)"`).exec(html)?.[1];
  if (value === undefined) throw new Error(`no hidden field ${name} in the page`);
  return value;
};

/** Signs in through the form as a browser would, and reads the session's form token from a page. */
async function signIn(key: string): Promise<Session> {
  const form = await consoleRequest("/console/sign-in");
  const signInCookie = /ks_sign_in=([^;]+)/.exec(form.headers.get("set-cookie") ?? "")?.[1];
  expect(signInCookie).toBeDefined();
  const opened = await consoleRequest("/console/sign-in", { cookie: `ks_sign_in=${signInCookie}`, form: { csrf: hidden(form.text, "csrf"), key } });
  expect(opened.status, opened.text).toBe(303);
  const id = /ks_session=([^;]+)/.exec(opened.headers.get("set-cookie") ?? "")?.[1];
  if (id === undefined) throw new Error("no session cookie");
  const page = await consoleRequest("/console", { cookie: `ks_session=${id}` });
  expect(page.status).toBe(200);
  return { id, csrf: hidden(page.text, "csrf") };
}

const cookieOf = (session: Session | string) => `ks_session=${typeof session === "string" ? session : session.id}`;

/** What a refused request must leave alone: the audit head and the flag's config. */
async function written(): Promise<unknown> {
  const audit = await okBody(api, t.viewer, "GET", "/v1/audit?limit=1");
  const config = await okBody(api, t.viewer, "GET", `/v1/envs/production/flags/${FLAG}`);
  return { seq: audit.items[0].seq, hash: audit.items[0].hash, config };
}

/** A refusal: a 4xx, never a redirect to a page that then fails, never a 5xx. */
function expectRefused(answer: { status: number; text: string; location: string | null }, status?: number, label = "") {
  const said = `${label} → ${answer.status} ${answer.location ?? ""} ${answer.text.slice(0, 500)}`;
  expect(answer.status, said).toBeGreaterThanOrEqual(400);
  expect(answer.status, said).toBeLessThan(500);
  if (status !== undefined) expect(answer.status, said).toBe(status);
}

beforeAll(async () => {
  ({ target, api, t } = await startWithTenant());
  other = await createTenant(target, api);
  await okBody(api, t.admin, "POST", "/v1/flags", { key: FLAG, kind: "boolean" });
  await okBody(api, other.admin, "POST", "/v1/flags", { key: "model.other-only", kind: "boolean" });
});

afterAll(() => target.close());

describe("a session cookie", () => {
  it("opens only its own tenant's pages, and no stitched or altered cookie opens any", async () => {
    const mine = await signIn(t.admin);
    const theirs = await signIn(other.admin);
    expect((await consoleRequest(FLAG_PAGE, { cookie: cookieOf(mine) })).status).toBe(200);
    // The other tenant's session sees its own tenant: this flag is not there.
    const crossed = await consoleRequest(FLAG_PAGE, { cookie: cookieOf(theirs) });
    expectRefused(crossed, 404);
    expect(crossed.text).not.toContain(`${FLAG}/kill`);
    const [myTenant, mySecret] = mine.id.split(".") as [string, string];
    const [theirTenant, theirSecret] = theirs.id.split(".") as [string, string];
    expect(myTenant).toBe(t.id);
    for (const forged of [
      `${myTenant}.${theirSecret}`,
      `${theirTenant}.${mySecret}`,
      `${myTenant}.${mySecret}x`,
      `${myTenant}.`,
      `.${mySecret}`,
      `${myTenant}.${mySecret}.${mySecret}`,
      "zzzzzzzzzz.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      "x".repeat(4000),
      encodeURIComponent("é.ü"),
      mine.id.replace(".", "%00"),
    ]) {
      const page = await consoleRequest(FLAG_PAGE, { cookie: cookieOf(forged) });
      expect(page.status, forged).toBe(303);
      expect(page.location, forged).toMatch(/^\/console\/sign-in/);
      const post = await consoleRequest(`${FLAG_PAGE}/kill`, { cookie: cookieOf(forged), form: { csrf: mine.csrf, reason: "forged", confirm: FLAG } });
      expect(post.status, forged).toBe(303);
      expect(post.location, forged).toBe("/console/sign-in");
    }
    // The live script's API reads answer 401 to a forged cookie.
    const read = await consoleRequest("/console/api/v1/flags", { cookie: cookieOf(`${myTenant}.${theirSecret}`) });
    expectRefused(read, 401);
  });

  it("of a revoked key opens nothing and writes nothing, even with its form token", async () => {
    const made = await okBody(api, t.admin, "POST", "/v1/keys", { name: "leaving", role: "operator" });
    const session = await signIn(made.secret);
    expect((await consoleRequest(FLAG_PAGE, { cookie: cookieOf(session) })).status).toBe(200);
    expect((await api("DELETE", `/v1/keys/${made.key.id}`, { key: t.admin })).status).toBe(204);
    const before = await written();
    const page = await consoleRequest(FLAG_PAGE, { cookie: cookieOf(session) });
    expect(page.status).toBe(303);
    expect(page.location).toMatch(/^\/console\/sign-in/);
    const kill = await consoleRequest(`${FLAG_PAGE}/kill`, { cookie: cookieOf(session), form: { csrf: session.csrf, reason: "after revocation", confirm: FLAG } });
    expect(kill.status).toBe(303);
    expect(kill.location).toBe("/console/sign-in");
    expectRefused(await consoleRequest("/console/api/v1/flags", { cookie: cookieOf(session) }), 401);
    expect(await written()).toEqual(before);
  });
});

describe("a form token", () => {
  it("of another session, of this tenant or another, is refused, and nothing is written", async () => {
    const mine = await signIn(t.admin);
    const second = await signIn(t.admin);
    const theirs = await signIn(other.admin);
    expect(second.csrf).not.toBe(mine.csrf);
    const before = await written();
    for (const csrf of [second.csrf, theirs.csrf, "", mine.csrf.slice(0, -1), `${mine.csrf}x`, mine.csrf.toUpperCase()]) {
      const kill = await consoleRequest(`${FLAG_PAGE}/kill`, { cookie: cookieOf(mine), form: { csrf, reason: "forged", confirm: FLAG } });
      expectRefused(kill, 403);
      expect(kill.text).toContain("security token");
    }
    // Two tokens, the session's one first or last: ambiguous, refused either way.
    for (const body of [`csrf=${second.csrf}&csrf=${mine.csrf}`, `csrf=${mine.csrf}&csrf=${second.csrf}`]) {
      const doubled = await consoleRequest(`${FLAG_PAGE}/kill`, {
        cookie: cookieOf(mine),
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: `${body}&reason=forged&confirm=${FLAG}`,
      });
      expectRefused(doubled, 403, body);
    }
    // Any other field twice: refused too, rather than one copy picked.
    const twice = await consoleRequest(`${FLAG_PAGE}/kill`, {
      cookie: cookieOf(mine),
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `csrf=${mine.csrf}&reason=one&reason=two&confirm=${FLAG}`,
    });
    expectRefused(twice, 400, "reason twice");
    expect(twice.text).toContain("was sent more than once");
    // The sign-out form too: a forged one does not end the session.
    expectRefused(await consoleRequest("/console/sign-out", { cookie: cookieOf(mine), form: { csrf: theirs.csrf } }), 403);
    expect((await consoleRequest("/console", { cookie: cookieOf(mine) })).status).toBe(200);
    expect(await written()).toEqual(before);
  });

  it("on the sign-in form must match its own cookie", async () => {
    const form = await consoleRequest("/console/sign-in");
    const other = await consoleRequest("/console/sign-in");
    const otherCookie = /ks_sign_in=([^;]+)/.exec(other.headers.get("set-cookie") ?? "")?.[1];
    const answer = await consoleRequest("/console/sign-in", { cookie: `ks_sign_in=${otherCookie}`, form: { csrf: hidden(form.text, "csrf"), key: t.admin } });
    expectRefused(answer, 403);
    expect(answer.headers.get("set-cookie") ?? "").not.toContain("ks_session=");
  });
});

describe("an oversized form", () => {
  it("is refused with 413 before anything reads it, signed in or not", async () => {
    const session = await signIn(t.admin);
    const before = await written();
    const huge = `csrf=${session.csrf}&confirm=${FLAG}&reason=${"a".repeat(MAX_BODY_BYTES + 1)}`;
    const form = { "content-type": "application/x-www-form-urlencoded" };
    expectRefused(await consoleRequest(`${FLAG_PAGE}/kill`, { cookie: cookieOf(session), headers: form, body: huge }), 413);
    expectRefused(await consoleRequest("/console/sign-in", { headers: form, body: `key=${"k".repeat(4 * MAX_BODY_BYTES)}` }), 413);
    // A multipart body with a large "file": the same limit.
    const multipart = new FormData();
    multipart.set("csrf", session.csrf);
    multipart.set("reason", "file");
    multipart.set("upload", new Blob([new Uint8Array(MAX_BODY_BYTES + 1)]), "big.bin");
    expectRefused(await consoleRequest(`${FLAG_PAGE}/kill`, { cookie: cookieOf(session), body: multipart }), 413);
    expect(await written()).toEqual(before);
  });

  it("under the body limit but over the API's limits is the API's 400, shown on the form", async () => {
    const session = await signIn(t.admin);
    const before = await written();
    const kill = await consoleRequest(`${FLAG_PAGE}/kill`, { cookie: cookieOf(session), form: { csrf: session.csrf, reason: "r".repeat(100_000), confirm: FLAG } });
    expectRefused(kill, 400);
    expect(kill.text).toContain("reason");
    const block = await consoleRequest(`${FLAG_PAGE}/block`, {
      cookie: cookieOf(session),
      form: { csrf: session.csrf, by: "conditions", rows: "1000000", "attribute-0": "nationality", "op-0": "notIn", "values-0": "US,".repeat(20_000), reason: "many values" },
    });
    expectRefused(block, 400);
    expect(await written()).toEqual(before);
  });
});

describe("NUL bytes", () => {
  it("in a sign-in key, a form field or a query are refused with a 4xx, and nothing is written", async () => {
    const signInForm = await consoleRequest("/console/sign-in");
    const signInCookie = /ks_sign_in=([^;]+)/.exec(signInForm.headers.get("set-cookie") ?? "")?.[1];
    const key = await consoleRequest("/console/sign-in", {
      cookie: `ks_sign_in=${signInCookie}`,
      form: { csrf: hidden(signInForm.text, "csrf"), key: `${t.admin}\u0000`, next: "/console\u0000/audit" },
    });
    expectRefused(key, 401);

    const session = await signIn(t.admin);
    const cookie = cookieOf(session);
    const before = await written();
    const posts: [string, Record<string, string>][] = [
      [`${FLAG_PAGE}/kill`, { csrf: session.csrf, reason: "nul\u0000reason", confirm: FLAG }],
      [`${FLAG_PAGE}/kill`, { csrf: session.csrf, reason: "nul directive", directive: "EXPORT\u0000-1", confirm: FLAG }],
      [`${FLAG_PAGE}/kill`, { csrf: session.csrf, reason: "nul confirm", confirm: `${FLAG}\u0000` }],
      [`${FLAG_PAGE}/restore`, { csrf: `${session.csrf}\u0000`, reason: "nul token" }],
      [`${FLAG_PAGE}/block`, { csrf: session.csrf, by: "conditions", rows: "1", "attribute-0": "nationality\u0000", "op-0": "notIn", "values-0": "US", reason: "nul attribute" }],
      [`${FLAG_PAGE}/block`, { csrf: session.csrf, by: "conditions", rows: "1", "attribute-0": "nationality", "op-0": "not\u0000In", "values-0": "US", reason: "nul op" }],
      [`${FLAG_PAGE}/block`, { csrf: session.csrf, by: "conditions", rows: "1", "attribute-0": "nationality", "op-0": "notIn", "values-0": "U\u0000S", reason: "nul value" }],
      [`${FLAG_PAGE}/block`, { csrf: session.csrf, by: "segment", segment: "foreign\u0000", reason: "nul segment" }],
      [`${FLAG_PAGE}/block`, { csrf: session.csrf, by: "conditions", rows: "1\u0000", "attribute-0": "nationality", "op-0": "notIn", "values-0": "US", reason: "nul rows", "\u0000": "x" }],
      ["/console/envs/production/explain", { csrf: session.csrf, context: '{"key":"u\\u0000"}', flag: FLAG }],
      ["/console/envs/production/explain", { csrf: session.csrf, context: '{"key":"u1"}', flag: `${FLAG}\u0000` }],
      [`/console/envs/production/flags/${encodeURIComponent(`${FLAG}\u0000`)}/kill`, { csrf: session.csrf, reason: "nul in the path", confirm: FLAG }],
    ];
    for (const [path, form] of posts) {
      const answer = await consoleRequest(path, { cookie, form });
      expectRefused(answer, undefined, `${path} ${JSON.stringify(form)}`);
      expect(answer.headers.get("content-type"), path).toMatch(/^text\/html/);
    }
    for (const path of [
      "/console/audit?flag=%00",
      "/console/audit?since=2026-01-01T00:00%00",
      "/console/audit?cursor=%00",
      `/console/directives/${encodeURIComponent("EXPORT\u0000")}`,
      `/console/envs/${encodeURIComponent("prod\u0000")}/instances`,
      `${FLAG_PAGE}?change=1%00`,
      "/console/sign-in?next=%2Fconsole%00",
      "/console/api/v1/flags?limit=1%00",
    ]) {
      const answer = await consoleRequest(path, { cookie });
      expect(answer.status, `${path}: ${answer.text.slice(0, 300)}`).toBeLessThan(500);
      if (!path.startsWith("/console/sign-in")) expectRefused(answer, undefined, path);
    }
    expect(await written()).toEqual(before);
  });
});
