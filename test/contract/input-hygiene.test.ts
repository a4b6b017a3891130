/**
 * Input every route refuses before it reaches a schema or the database: strings
 * that SQLite would store differently from what the audit chain hashed (U+0000,
 * unpaired surrogates), keys that mean something to JavaScript objects
 * (`__proto__`, `constructor`, `prototype`), nesting past 32 levels, query
 * parameters a route does not take, and cursors the service did not issue. Each
 * is a 400 that names the offending path, and nothing is written: the audit
 * head and every environment version stay as they were.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { okBody, type Api } from "../support/api.js";
import { startWithTenant } from "../support/contract-tenant.js";
import type { ContractTarget } from "../support/contract-target.js";
import type { TestTenant } from "../support/tenants.js";

let target: ContractTarget;
let api: Api;
let t: TestTenant;

const FLAG = "model.fable-5";
const SEGMENT = "foreign-nationals";
const DIRECTIVE = "EXPORT-2026-001";
let ruleId: string;
let keyId: string;
let version: number;
let scheduleId: string;
let webhookId: string;
let deliveryId: string;

beforeAll(async () => {
  ({ target, api, t } = await startWithTenant());
  await okBody(api, t.admin, "POST", "/v1/flags", { key: FLAG, kind: "boolean" });
  await okBody(api, t.admin, "PUT", `/v1/envs/production/segments/${SEGMENT}`, {
    rules: [{ when: [{ attribute: "nationality", op: "notIn", values: ["US"] }] }],
    reason: "contract",
  });
  // A webhook before the block, so that the block leaves a delivery (its attempts fail offline; the row is there).
  webhookId = (await okBody(api, t.admin, "POST", "/v1/webhooks", { url: "https://hooks.example.com/contract", events: ["change.committed"] })).id;
  const block = await okBody(api, t.operator, "POST", `/v1/envs/production/flags/${FLAG}/block`, { reason: "directive", segment: SEGMENT });
  ({ ruleId, version } = block);
  deliveryId = (await okBody(api, t.admin, "GET", `/v1/webhooks/${webhookId}/deliveries`)).items[0].id;
  await okBody(api, t.admin, "PATCH", `/v1/webhooks/${webhookId}`, { enabled: false });
  scheduleId = (await okBody(api, t.operator, "POST", `/v1/envs/production/flags/${FLAG}/kill`, { reason: "later", at: new Date(Date.now() + 3_600_000).toISOString() })).schedule.id;
  keyId = (await okBody(api, t.admin, "POST", "/v1/keys", { name: "spare", role: "viewer" })).key.id;
  await okBody(api, t.operator, "POST", "/v1/directives", { ref: DIRECTIVE, title: "Contract", receivedAt: "2026-11-01T17:21:00Z" });
});

afterAll(() => target.close());

/** What a refused request must leave alone: the audit chain's head and every environment's version. */
async function written(): Promise<unknown> {
  const audit = await okBody(api, t.viewer, "GET", "/v1/audit?limit=1");
  const envs = await okBody(api, t.viewer, "GET", "/v1/envs");
  return { head: audit.items[0].hash, seq: audit.items[0].seq, versions: envs.items.map((e: { key: string; version: number }) => [e.key, e.version]) };
}

/** Sends `raw` as a JSON body: escapes such as \u0000 and keys such as __proto__ reach the server as written. */
const sendRaw = (method: string, path: string, key: string, raw: string) =>
  api(method, path, { key, raw, headers: { "content-type": "application/json" } });

describe("bodies", () => {
  const cases: [string, string, string, string, string][] = [
    ["U+0000 in a restore reason (issue 11)", "POST", `/v1/envs/production/flags/${FLAG}/restore`, '{"reason":"before\\u0000after"}', "reason"],
    ["a lone surrogate in a reason", "POST", `/v1/envs/production/flags/${FLAG}/kill`, '{"reason":"\\ud800"}', "reason"],
    ["a lone low surrogate in a directive", "POST", `/v1/envs/production/flags/${FLAG}/kill`, '{"reason":"ok","directive":"D-\\udc00"}', "directive"],
    ["U+0000 in a flag description", "POST", "/v1/flags", '{"key":"model.nul","kind":"boolean","description":"a\\u0000b"}', "description"],
    ["U+0000 in a flag key", "POST", "/v1/flags", '{"key":"model\\u0000x","kind":"boolean"}', "key"],
    ["U+0000 in an API key name", "POST", "/v1/keys", '{"name":"ci\\u0000","role":"viewer"}', "name"],
    ["U+0000 in a tag, in a PATCH", "PATCH", `/v1/flags/${FLAG}`, '{"tags":["ok","x\\u0000"]}', "tags[1]"],
    [
      'a variant {"__proto__":{"isAdmin":true}} (issue 11)',
      "POST",
      "/v1/flags",
      '{"key":"model.proto","kind":"json","variants":{"on":{"a":1},"__proto__":{"isAdmin":true}}}',
      "variants.__proto__",
    ],
    ["a __proto__ variant in a PATCH", "PATCH", `/v1/flags/${FLAG}`, '{"variants":{"on":true,"off":false,"__proto__":true}}', "variants.__proto__"],
    [
      "a nested constructor key in a segment rule",
      "PUT",
      `/v1/envs/production/segments/${SEGMENT}`,
      '{"rules":[{"when":[{"attribute":"nationality","op":"in","values":["US"],"constructor":{"prototype":true}}]}]}',
      "rules[0].when[0].constructor",
    ],
    [
      "a prototype key deep in a flag config",
      "PUT",
      `/v1/envs/production/flags/${FLAG}`,
      '{"reason":"r","rules":[{"id":"r1","when":[{"segment":["foreign-nationals"]}],"serve":{"variant":"off","prototype":1}}]}',
      "rules[0].serve.prototype",
    ],
    ["a U+0000 key name in a segment", "PUT", `/v1/envs/production/segments/${SEGMENT}`, '{"include":[],"x\\u0000":1}', '["x\\u0000"]'],
  ];

  it.each(cases)("refuses %s with 400 naming the path, and writes nothing", async (_name, method, path, raw, errorPath) => {
    const before = await written();
    const res = await sendRaw(method, path, t.admin, raw);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(res.body.type).toBe("https://killswitch.dev/problems/validation");
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(errorPath);
    expect(res.body.detail).toContain(errorPath);
    expect(await written()).toEqual(before);
  });

  it("keeps storing well-formed Unicode exactly as sent", async () => {
    const reason = "directive 😀 e\u0301 日本";
    const res = await api("POST", `/v1/envs/production/flags/${FLAG}/kill`, { key: t.operator, json: { reason } });
    expect(res.status).toBe(200);
    expect((await okBody(api, t.viewer, "GET", "/v1/audit?limit=1")).items[0].reason).toBe(reason);
    await okBody(api, t.operator, "POST", `/v1/envs/production/flags/${FLAG}/restore`, { reason: "back" });
    expect(await okBody(api, t.viewer, "GET", "/v1/audit/verify")).toMatchObject({ ok: true });
  });
});

describe("OFREP", () => {
  const SINGLE = `/ofrep/v1/evaluate/flags/${FLAG}`;
  const BULK = "/ofrep/v1/evaluate/flags";
  const deep = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;

  it.each([
    ["bulk", BULK, `{"context":{"targetingKey":"u1","nested":${deep}}}`],
    ["single", SINGLE, `{"context":{"targetingKey":"u1","nested":${deep}}}`],
    ["bulk, U+0000 in an attribute", BULK, '{"context":{"targetingKey":"u1","nationality":"U\\u0000S"}}'],
    ["single, a lone surrogate in the targeting key", SINGLE, '{"context":{"targetingKey":"\\ud800"}}'],
    ["bulk, a __proto__ attribute", BULK, '{"context":{"targetingKey":"u1","__proto__":{"nationality":"US"}}}'],
  ])("answers 400 INVALID_CONTEXT to a context that breaks the input rules (%s)", async (_name, path, raw) => {
    const res = await sendRaw("POST", path, t.sdk, raw);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.errorCode).toBe("INVALID_CONTEXT");
    expect(res.body.errorDetails).toMatch(/^context/);
  });

  it("still evaluates a context nested within the limit", async () => {
    const nested = `${"[".repeat(20)}"US"${"]".repeat(20)}`;
    const res = await sendRaw("POST", BULK, t.sdk, `{"context":{"targetingKey":"u1","nationality":${nested}}}`);
    expect(res.status).toBe(200);
  });
});

describe("cursors", () => {
  it.each([
    ["[1e999] (issue 11)", "WzFlOTk5XQ"],
    ["[-1]", "Wy0xXQ"],
    ["not base64 JSON", "garbage"],
    ["a flag list's cursor", "WyJtb2RlbCJd"],
  ])("answers 400 to an audit cursor the service did not issue: %s", async (_name, cursor) => {
    const res = await api("GET", `/v1/audit?cursor=${cursor}`, { key: t.viewer });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ path: "cursor", code: "invalid_cursor" })]);
  });

  it("accepts the cursors it issues", async () => {
    const first = await okBody(api, t.viewer, "GET", "/v1/audit?limit=2");
    const next = await api("GET", `/v1/audit?limit=2&cursor=${first.nextCursor}`, { key: t.viewer });
    expect(next.status).toBe(200);
    expect(next.body.items[0].seq).toBe(first.items[1].seq - 1);
  });
});

describe("query parameters", () => {
  it("answers 400 to an unknown parameter: GET /v1/audit?key=… (issue 11)", async () => {
    const res = await api("GET", `/v1/audit?key=${FLAG}`, { key: t.viewer });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: "key", message: "unknown query parameter; this route takes limit, cursor, flag, env, actor, directive, action, since, until", code: "unrecognized_keys" }]);
  });

  it("answers 400 to a parameter given twice, or holding U+0000", async () => {
    expect((await api("GET", "/v1/flags?limit=1&limit=2", { key: t.viewer })).body.errors[0]).toMatchObject({ path: "limit", code: "repeated_parameter" });
    expect((await api("GET", "/v1/flags?cursor=%00", { key: t.viewer })).body.errors[0]).toMatchObject({ path: "cursor", code: "invalid_string" });
  });

  /**
   * Every route of the OpenAPI document that both hosts serve, with path values
   * that exist, so only the query can be wrong. The metrics routes, served by one
   * host each (`x-killswitch-host`), check their queries in test/node/metrics and
   * test/worker/metrics.
   */
  async function documentedRoutes(): Promise<{ method: string; path: string; access: string }[]> {
    const doc = (await api("GET", "/openapi.json")).body;
    const values: Record<string, string> = { env: "production", ruleId, id: keyId, version: String(version), name: "employer", ref: DIRECTIVE };
    type Op = { "x-killswitch-access": string; "x-killswitch-host"?: string };
    return Object.entries(doc.paths as Record<string, Record<string, Op>>).flatMap(([template, ops]) =>
      Object.entries(ops).filter(([, op]) => op["x-killswitch-host"] === undefined).map(([method, op]) => ({
        method: method.toUpperCase(),
        access: op["x-killswitch-access"],
        path: template.replace(/\{(\w+)\}/g, (_m, name: string) => {
          if (name === "key" && template.includes("/segments/")) return SEGMENT;
          if (name === "id" && template.startsWith("/v1/webhooks/")) return webhookId;
          if (name === "id" && template.startsWith("/v1/schedule/")) return scheduleId;
          if (name === "delivery") return deliveryId;
          return values[name] ?? FLAG;
        }),
      })),
    );
  }

  it("answers 400 to an unknown parameter on every documented route, and writes nothing", async () => {
    const routes = await documentedRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(30);
    const before = await written();
    for (const { method, path, access } of routes) {
      const key = access === "none" ? undefined : access === "root" ? target.rootToken : access === "sdk" ? t.sdk : t.admin;
      const res = await api(method, `${path}?bogus=1`, { key, json: method === "GET" ? undefined : {} });
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(400);
      if (path.startsWith("/ofrep/")) expect(res.body.errorDetails, path).toContain("bogus");
      else expect(res.body.errors[0], `${method} ${path}`).toMatchObject({ path: "bogus", code: "unrecognized_keys" });
    }
    expect(await written()).toEqual(before);
  });

  it("accepts OFREP's own change-event parameters, and ignores them", async () => {
    for (const path of ["/ofrep/v1/evaluate/flags", `/ofrep/v1/evaluate/flags/${FLAG}`]) {
      const res = await api("POST", `${path}?flagConfigEtag=%22abc%22&flagConfigLastModified=1700000000`, { key: t.sdk, json: { context: { targetingKey: "u1" } } });
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
    }
  });

  it("refuses a stream upgrade with a query string, before the socket opens", async () => {
    const url = `${target.baseUrl.replace(/^http/, "ws")}/v1/stream?since=0`;
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(url, ["killswitch.v1", t.sdk]);
      ws.once("unexpected-response", (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.once("open", () => reject(new Error("the upgrade was accepted")));
      ws.once("error", () => {});
    });
    expect(status).toBe(400);
  });
});
