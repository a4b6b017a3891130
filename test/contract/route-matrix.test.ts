/**
 * Every route, the same five ways: a revoked key (401), a key whose role is too
 * weak (403), another tenant's key (404: nothing leaks), an invalid body or query
 * (400), and success. The failing calls all carry the invalid input too, so this
 * also pins the order of answers: 401 → 403 → 404 → 400.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiFor, okBody, type Api } from "../support/api.js";
import { startContractTarget, type ContractTarget } from "../support/contract-target.js";
import { createTenant, type TestTenant } from "../support/tenants.js";

type Access = "root" | "admin" | "operator" | "viewer" | "sdk";

interface RouteCase {
  method: string;
  route: string;
  access: Access;
  /** Creates what the route needs in tenant A; answers the concrete path. */
  path: (n: number) => Promise<string>;
  good?: unknown;
  bad?: unknown;
  /** A query string that breaks the route's query schema. */
  badQuery?: string;
  ok: number;
  /** Whether another tenant's key must get 404 (routes that name an entity). */
  scoped: boolean;
}

let target: ContractTarget;
let api: Api;
let a: TestTenant;
let b: TestTenant;

beforeAll(async () => {
  target = await startContractTarget();
  api = apiFor(target);
  a = await createTenant(target, api, "tenant A");
  b = await createTenant(target, api, "tenant B");
  // An environment only tenant A has.
  expect((await api("POST", "/v1/envs", { key: a.admin, json: { key: "qa" } })).status).toBe(201);
});

afterAll(() => target.close());

const ok = (method: string, path: string, json?: unknown): Promise<any> => okBody(api, a.admin, method, path, json);
const flag = async (n: number): Promise<string> => {
  await ok("POST", "/v1/flags", { key: `flag-${n}`, kind: "boolean" });
  return `flag-${n}`;
};
const segment = async (n: number): Promise<string> => {
  await ok("PUT", `/v1/envs/qa/segments/seg-${n}`, { include: ["user-1"], reason: "set-up" });
  return `seg-${n}`;
};
const attribute = async (n: number): Promise<string> => {
  await ok("POST", "/v1/attributes", { name: `attr-${n}` });
  return `attr-${n}`;
};
const directive = async (n: number): Promise<string> => {
  await ok("POST", "/v1/directives", { ref: `DIR-${n}`, title: "Directive", receivedAt: "2026-11-27T17:21:00Z" });
  return `DIR-${n}`;
};
const scheduled = async (n: number): Promise<{ id: string }> =>
  (await ok("POST", `/v1/envs/qa/flags/${await flag(n)}/kill`, { reason: "later", at: new Date(Date.now() + 3_600_000).toISOString() })).schedule;
const webhook = (): Promise<{ id: string }> => ok("POST", "/v1/webhooks", { url: "https://hooks.example.com/matrix", events: ["schedule.applied"] });
/** A delivery: a webhook of change.committed, and a change for it (the attempts fail offline; the row is there). */
const deliveryPath = async (n: number): Promise<string> => {
  const { id } = await ok("POST", "/v1/webhooks", { url: "https://hooks.example.com/matrix", events: ["change.committed"] });
  await flag(n);
  const { items } = await ok("GET", `/v1/webhooks/${id}/deliveries`);
  await ok("PATCH", `/v1/webhooks/${id}`, { enabled: false }); // one delivery is enough
  return `/v1/webhooks/${id}/deliveries/${items[0].id}`;
};
const configBody = { enabled: true, offVariant: "off", rules: [], fallthrough: { variant: "on" }, failMode: "closed", reason: "contract" };

const CASES: RouteCase[] = [
  { method: "POST", route: "/v1/tenants", access: "root", path: async () => "/v1/tenants", good: { name: "new" }, bad: { name: "" }, ok: 201, scoped: false },
  { method: "GET", route: "/v1/envs", access: "viewer", path: async () => "/v1/envs", badQuery: "limit=0", ok: 200, scoped: false },
  { method: "POST", route: "/v1/envs", access: "admin", path: async () => "/v1/envs", good: { key: "staging" }, bad: { key: "no spaces" }, ok: 201, scoped: false },
  { method: "GET", route: "/v1/keys", access: "admin", path: async () => "/v1/keys", badQuery: "limit=x", ok: 200, scoped: false },
  { method: "POST", route: "/v1/keys", access: "admin", path: async () => "/v1/keys", good: { name: "ci", role: "viewer" }, bad: { name: "ci", role: "root" }, ok: 201, scoped: false },
  {
    method: "DELETE",
    route: "/v1/keys/{id}",
    access: "admin",
    path: async () => `/v1/keys/${(await ok("POST", "/v1/keys", { name: "doomed", role: "viewer" })).key.id}`,
    good: { reason: "rotation" },
    bad: { reason: "rotation", extra: true },
    ok: 204,
    scoped: true,
  },
  { method: "GET", route: "/v1/flags", access: "viewer", path: async () => "/v1/flags", badQuery: "limit=501", ok: 200, scoped: false },
  { method: "POST", route: "/v1/flags", access: "operator", path: async () => "/v1/flags", good: { key: "created", kind: "boolean" }, bad: { key: "created", kind: "bool" }, ok: 201, scoped: false },
  { method: "GET", route: "/v1/flags/{key}", access: "viewer", path: async (n) => `/v1/flags/${await flag(n)}`, ok: 200, scoped: true },
  { method: "PATCH", route: "/v1/flags/{key}", access: "operator", path: async (n) => `/v1/flags/${await flag(n)}`, good: { description: "d" }, bad: { tags: "model" }, ok: 200, scoped: true },
  { method: "DELETE", route: "/v1/flags/{key}", access: "operator", path: async (n) => `/v1/flags/${await flag(n)}`, good: { reason: "gone" }, bad: { reason: 5 }, ok: 204, scoped: true },
  { method: "GET", route: "/v1/envs/{env}/flags/{key}", access: "viewer", path: async (n) => `/v1/envs/qa/flags/${await flag(n)}`, ok: 200, scoped: true },
  { method: "PUT", route: "/v1/envs/{env}/flags/{key}", access: "operator", path: async (n) => `/v1/envs/qa/flags/${await flag(n)}`, good: configBody, bad: { ...configBody, enabled: "yes" }, ok: 200, scoped: true },
  { method: "POST", route: "/v1/envs/{env}/flags/{key}/kill", access: "operator", path: async (n) => `/v1/envs/qa/flags/${await flag(n)}/kill`, good: { reason: "directive" }, bad: {}, ok: 200, scoped: true },
  { method: "POST", route: "/v1/envs/{env}/flags/{key}/restore", access: "operator", path: async (n) => `/v1/envs/qa/flags/${await flag(n)}/restore`, good: { reason: "lifted" }, bad: { reason: "" }, ok: 200, scoped: true },
  {
    method: "POST",
    route: "/v1/envs/{env}/flags/{key}/block",
    access: "operator",
    path: async (n) => {
      await segment(n);
      return `/v1/envs/qa/flags/${await flag(n)}/block`;
    },
    good: { reason: "directive", segment: "seg-PLACEHOLDER" },
    bad: { reason: "directive", segment: "x", when: [{ attribute: "employer", op: "in", values: ["acme"] }] },
    ok: 200,
    scoped: true,
  },
  {
    method: "DELETE",
    route: "/v1/envs/{env}/flags/{key}/rules/{ruleId}",
    access: "operator",
    path: async (n) => {
      const key = await flag(n);
      const { ruleId } = await ok("POST", `/v1/envs/qa/flags/${key}/block`, {
        reason: "r",
        when: [{ attribute: "employer", op: "in", values: ["acme"] }],
      });
      return `/v1/envs/qa/flags/${key}/rules/${ruleId}`;
    },
    good: { reason: "directive lifted" },
    bad: { because: "x" },
    ok: 200,
    scoped: true,
  },
  { method: "GET", route: "/v1/envs/{env}/segments", access: "viewer", path: async () => "/v1/envs/qa/segments", badQuery: "limit=-1", ok: 200, scoped: true },
  { method: "GET", route: "/v1/envs/{env}/segments/{key}", access: "viewer", path: async (n) => `/v1/envs/qa/segments/${await segment(n)}`, ok: 200, scoped: true },
  { method: "PUT", route: "/v1/envs/{env}/segments/{key}", access: "operator", path: async (n) => `/v1/envs/qa/segments/new-${n}`, good: { exclude: ["u1"], reason: "new" }, bad: { include: "u1", reason: "new" }, ok: 201, scoped: true },
  { method: "DELETE", route: "/v1/envs/{env}/segments/{key}", access: "operator", path: async (n) => `/v1/envs/qa/segments/${await segment(n)}`, good: { reason: "unused" }, bad: { reason: [] }, ok: 200, scoped: true },
  { method: "GET", route: "/v1/attributes", access: "viewer", path: async () => "/v1/attributes", badQuery: "limit=0", ok: 200, scoped: false },
  { method: "POST", route: "/v1/attributes", access: "admin", path: async () => "/v1/attributes", good: { name: "created" }, bad: { name: "a..b" }, ok: 201, scoped: false },
  { method: "GET", route: "/v1/attributes/{name}", access: "viewer", path: async (n) => `/v1/attributes/${await attribute(n)}`, ok: 200, scoped: true },
  { method: "PUT", route: "/v1/attributes/{name}", access: "admin", path: async (n) => `/v1/attributes/put-${n}`, good: { type: "string" }, bad: { type: "text" }, ok: 201, scoped: false },
  { method: "DELETE", route: "/v1/attributes/{name}", access: "admin", path: async (n) => `/v1/attributes/${await attribute(n)}`, good: { reason: "unused" }, bad: { reason: 5 }, ok: 204, scoped: true },
  { method: "GET", route: "/v1/envs/{env}/snapshot", access: "viewer", path: async () => "/v1/envs/qa/snapshot", ok: 200, scoped: true },
  { method: "GET", route: "/v1/snapshot", access: "sdk", path: async () => "/v1/snapshot", ok: 200, scoped: false },
  { method: "GET", route: "/v1/envs/{env}/signing-key", access: "viewer", path: async () => "/v1/envs/qa/signing-key", badQuery: "key=1", ok: 200, scoped: true },
  {
    method: "POST",
    route: "/v1/envs/{env}/signing-key/rotate",
    access: "admin",
    path: async () => "/v1/envs/qa/signing-key/rotate",
    good: { reason: "yearly rotation", overlapSeconds: 60 },
    bad: { reason: "yearly rotation", overlapSeconds: -1 },
    ok: 200,
    scoped: true,
  },
  { method: "POST", route: "/v1/envs/{env}/epoch", access: "admin", path: async () => "/v1/envs/qa/epoch", good: { reason: "restored from a backup" }, bad: { epoch: "x" }, ok: 200, scoped: true },
  { method: "GET", route: "/v1/audit", access: "viewer", path: async () => "/v1/audit", badQuery: "since=yesterday", ok: 200, scoped: false },
  { method: "GET", route: "/v1/audit/head", access: "viewer", path: async () => "/v1/audit/head", ok: 200, scoped: false },
  { method: "GET", route: "/v1/audit/verify", access: "viewer", path: async () => "/v1/audit/verify", badQuery: "seq=3", ok: 200, scoped: false },
  { method: "GET", route: "/v1/envs/{env}/flags", access: "viewer", path: async () => "/v1/envs/qa/flags", badQuery: "limit=0", ok: 200, scoped: true },
  { method: "GET", route: "/v1/envs/{env}/blocks", access: "viewer", path: async () => "/v1/envs/qa/blocks", badQuery: "cursor=x", ok: 200, scoped: true },
  { method: "GET", route: "/v1/directives", access: "viewer", path: async () => "/v1/directives", badQuery: "status=closed", ok: 200, scoped: false },
  { method: "POST", route: "/v1/directives", access: "operator", path: async () => "/v1/directives", good: { ref: "NEW-1", title: "t", receivedAt: "2026-11-27T17:21:00Z" }, bad: { ref: "NEW-1", title: "t", receivedAt: "now" }, ok: 201, scoped: false },
  { method: "GET", route: "/v1/directives/{ref}", access: "viewer", path: async (n) => `/v1/directives/${await directive(n)}`, ok: 200, scoped: true },
  { method: "GET", route: "/v1/directives/{ref}/report", access: "viewer", path: async (n) => `/v1/directives/${await directive(n)}/report`, badQuery: "format=md", ok: 200, scoped: true },
  { method: "GET", route: "/v1/events", access: "viewer", path: async () => "/v1/events", badQuery: "since=1", ok: 200, scoped: false },
  { method: "PATCH", route: "/v1/directives/{ref}", access: "operator", path: async (n) => `/v1/directives/${await directive(n)}`, good: { summary: "s" }, bad: { summary: 5 }, ok: 200, scoped: true },
  { method: "DELETE", route: "/v1/directives/{ref}", access: "admin", path: async (n) => `/v1/directives/${await directive(n)}`, good: { reason: "typo" }, bad: { reason: "" }, ok: 204, scoped: true },
  { method: "POST", route: "/v1/directives/{ref}/lift", access: "operator", path: async (n) => `/v1/directives/${await directive(n)}/lift`, good: { reason: "withdrawn" }, bad: {}, ok: 200, scoped: true },
  { method: "GET", route: "/v1/envs/{env}/schedule", access: "viewer", path: async () => "/v1/envs/qa/schedule", badQuery: "status=later", ok: 200, scoped: true },
  { method: "GET", route: "/v1/schedule/{id}", access: "viewer", path: async (n) => `/v1/schedule/${(await scheduled(n)).id}`, ok: 200, scoped: true },
  { method: "DELETE", route: "/v1/schedule/{id}", access: "operator", path: async (n) => `/v1/schedule/${(await scheduled(n)).id}`, good: { reason: "withdrawn" }, bad: {}, ok: 200, scoped: true },
  { method: "GET", route: "/v1/webhooks", access: "admin", path: async () => "/v1/webhooks", badQuery: "limit=0", ok: 200, scoped: false },
  { method: "POST", route: "/v1/webhooks", access: "admin", path: async () => "/v1/webhooks", good: { url: "https://hooks.example.com/x", events: ["schedule.applied"] }, bad: { url: "ftp://hooks.example.com/x", events: [] }, ok: 201, scoped: false },
  { method: "GET", route: "/v1/webhooks/{id}", access: "admin", path: async () => `/v1/webhooks/${(await webhook()).id}`, ok: 200, scoped: true },
  { method: "PATCH", route: "/v1/webhooks/{id}", access: "admin", path: async () => `/v1/webhooks/${(await webhook()).id}`, good: { enabled: false }, bad: {}, ok: 200, scoped: true },
  { method: "DELETE", route: "/v1/webhooks/{id}", access: "admin", path: async () => `/v1/webhooks/${(await webhook()).id}`, good: { reason: "gone" }, bad: { reason: 5 }, ok: 204, scoped: true },
  { method: "POST", route: "/v1/webhooks/{id}/rotate-secret", access: "admin", path: async () => `/v1/webhooks/${(await webhook()).id}/rotate-secret`, good: { graceSeconds: 0 }, bad: { graceSeconds: -1 }, ok: 200, scoped: true },
  { method: "GET", route: "/v1/webhooks/{id}/deliveries", access: "admin", path: async () => `/v1/webhooks/${(await webhook()).id}/deliveries`, badQuery: "status=lost", ok: 200, scoped: true },
  { method: "GET", route: "/v1/webhooks/{id}/deliveries/{delivery}", access: "admin", path: async (n) => deliveryPath(n), ok: 200, scoped: true },
  { method: "POST", route: "/v1/webhooks/{id}/deliveries/{delivery}/redeliver", access: "admin", path: async (n) => `${await deliveryPath(n)}/redeliver`, good: { reason: "again" }, bad: { again: true }, ok: 202, scoped: true },
];

/** A key strong enough for the route, and one just too weak. */
function keysFor(access: Access): { enough: string; weaker: string } {
  switch (access) {
    case "root":
      return { enough: target.rootToken, weaker: a.admin };
    case "admin":
      return { enough: a.admin, weaker: a.operator };
    case "operator":
      return { enough: a.operator, weaker: a.viewer };
    case "viewer":
      return { enough: a.viewer, weaker: a.sdk };
    case "sdk":
      return { enough: a.sdk, weaker: a.viewer };
  }
}

describe.each(CASES.map((c, i) => [`${c.method} ${c.route}`, c, i] as const))("%s", (_name, c, i) => {
  let path: string;
  let good: unknown;
  beforeAll(async () => {
    path = await c.path(i);
    good = JSON.parse(JSON.stringify(c.good ?? null).replace("PLACEHOLDER", String(i))) ?? undefined;
  });
  const bad = c.bad;
  const withBad = (p: string): string => (c.badQuery ? `${p}?${c.badQuery}` : p);

  it("answers 401 to a revoked key", async () => {
    const res = await api(c.method, withBad(path), { key: a.revoked, json: bad });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
  });

  it("answers 403 to a key whose role is too weak", async () => {
    const res = await api(c.method, withBad(path), { key: keysFor(c.access).weaker, json: bad });
    expect(res.status).toBe(403);
    expect(res.body.type).toBe("https://killswitch.dev/problems/forbidden");
  });

  if (c.scoped) {
    it("answers 404 to another tenant's key", async () => {
      const res = await api(c.method, withBad(path), { key: b.admin, json: bad });
      expect(res.status).toBe(404);
      expect(res.body.type).toBe("https://killswitch.dev/problems/not-found");
    });
  }

  if (c.bad !== undefined || c.badQuery !== undefined) {
    it("answers 400 to invalid input, with per-field errors", async () => {
      const res = await api(c.method, withBad(path), { key: keysFor(c.access).enough, json: bad });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.type).toBe("https://killswitch.dev/problems/validation");
      expect(res.body.errors.length).toBeGreaterThan(0);
    });
  }

  it(`answers ${c.ok} to a key with the role`, async () => {
    const res = await api(c.method, path, { key: keysFor(c.access).enough, json: good });
    expect(res.status, JSON.stringify(res.body)).toBe(c.ok);
  });
});

it("tests only routes the OpenAPI document has", async () => {
  const doc = (await api("GET", "/openapi.json")).body;
  const documented = Object.entries(doc.paths as Record<string, object>).flatMap(([p, ops]) =>
    Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
  );
  expect(documented).toEqual(expect.arrayContaining(CASES.map((c) => `${c.method} ${c.route}`)));
});
