/**
 * OFREP (`/ofrep/v1/evaluate/flags[/{key}]`) over HTTP: sdk keys only, OFREP's own
 * error shapes and codes, the bulk ETag.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiFor, okBody, type Api } from "../support/api.js";
import { startContractTarget, type ContractTarget } from "../support/contract-target.js";
import { createTenant, type TestTenant } from "../support/tenants.js";

let target: ContractTarget;
let api: Api;
let a: TestTenant;
let b: TestTenant;

const FLAG = "model.fable-5";
const SINGLE = `/ofrep/v1/evaluate/flags/${FLAG}`;
const BULK = "/ofrep/v1/evaluate/flags";

const ok = (key: string, method: string, path: string, json: unknown): Promise<any> => okBody(api, key, method, path, json);

beforeAll(async () => {
  target = await startContractTarget();
  api = apiFor(target);
  a = await createTenant(target, api, "tenant A");
  b = await createTenant(target, api, "tenant B");
  await ok(a.admin, "POST", "/v1/flags", { key: FLAG, kind: "boolean" });
  await ok(a.admin, "POST", "/v1/flags", { key: "banner.text", kind: "string", variants: { plain: "Hello", loud: "HELLO" } });
  await ok(a.admin, "PUT", "/v1/envs/production/segments/foreign-nationals", {
    exclude: ["cleared-user"],
    rules: [{ when: [{ attribute: "nationality", op: "notIn", values: ["US"] }] }],
    reason: "contract",
  });
  await ok(a.admin, "POST", `/v1/envs/production/flags/${FLAG}/block`, { reason: "EXPORT-2026-001", segment: "foreign-nationals" });
});

afterAll(() => target.close());

/** An OFREP error body: `{key?, errorCode, errorDetails}` as JSON, never problem JSON. */
function expectOfrepError(res: { status: number; headers: Headers; body: any }, status: number, errorCode: string, key?: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(res.body).toEqual({ ...(key === undefined ? {} : { key }), errorCode, errorDetails: expect.any(String) });
}

describe("POST /ofrep/v1/evaluate/flags/{key}", () => {
  it("evaluates a flag for a context, with targetingKey as the context's key", async () => {
    const us = await api("POST", SINGLE, { key: a.sdk, json: { context: { targetingKey: "u1", nationality: "US" } } });
    expect(us.status).toBe(200);
    expect(us.headers.get("content-type")).toMatch(/^application\/json/);
    expect(us.body).toEqual({ key: FLAG, value: true, variant: "on", reason: "DEFAULT", metadata: { version: expect.any(Number) } });

    const fr = await api("POST", SINGLE, { key: a.sdk, json: { context: { targetingKey: "u1", nationality: "FR" } } });
    expect(fr.body).toMatchObject({ key: FLAG, value: false, variant: "off", reason: "TARGETING_MATCH", metadata: { ruleId: expect.any(String) } });

    // The segment's exclude list names the targetingKey.
    const cleared = await api("POST", SINGLE, { key: a.sdk, json: { context: { targetingKey: "cleared-user", nationality: "FR" } } });
    expect(cleared.body).toMatchObject({ value: true, reason: "DEFAULT" });
  });

  it("evaluates a wrong-typed attribute as missing: notIn holds, so the block applies", async () => {
    for (const nationality of [5, { code: "US" }, null, true]) {
      const res = await api("POST", SINGLE, { key: a.sdk, json: { context: { targetingKey: "u1", nationality } } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ value: false, reason: "TARGETING_MATCH" });
    }
  });

  it("accepts the key as X-API-Key", async () => {
    const res = await api("POST", SINGLE, { headers: { "x-api-key": a.sdk, "content-type": "application/json" }, raw: '{"context":{"nationality":"US"}}' });
    expect(res.status).toBe(200);
    expect(res.body.value).toBe(true);
  });

  it("serves a string flag's variant value", async () => {
    const res = await api("POST", "/ofrep/v1/evaluate/flags/banner.text", { key: a.sdk, json: { context: {} } });
    expect(res.body).toEqual({ key: "banner.text", value: "Hello", variant: "plain", reason: "STATIC", metadata: { version: expect.any(Number) } });
  });

  it("answers 404 FLAG_NOT_FOUND for an unknown flag, and for another tenant's flag", async () => {
    expectOfrepError(await api("POST", "/ofrep/v1/evaluate/flags/no.such-flag", { key: a.sdk, json: { context: {} } }), 404, "FLAG_NOT_FOUND", "no.such-flag");
    expectOfrepError(await api("POST", SINGLE, { key: b.sdk, json: { context: {} } }), 404, "FLAG_NOT_FOUND", FLAG);
  });

  it("answers 404 before looking at the body", async () => {
    expectOfrepError(await api("POST", "/ofrep/v1/evaluate/flags/no.such-flag", { key: a.sdk, raw: "{" }), 404, "FLAG_NOT_FOUND", "no.such-flag");
  });

  it.each([
    ["malformed JSON", "{", "PARSE_ERROR"],
    ["a body that is not an object", "[1]", "PARSE_ERROR"],
    ["no context", "{}", "INVALID_CONTEXT"],
    ["a context that is not an object", '{"context":"u1"}', "INVALID_CONTEXT"],
    ["a context that is an array", '{"context":[]}', "INVALID_CONTEXT"],
    ["a context over 32 KiB", JSON.stringify({ context: { targetingKey: "u1", blob: "x".repeat(33 * 1024) } }), "INVALID_CONTEXT"],
  ])("answers 400 %s", async (_name, raw, errorCode) => {
    const res = await api("POST", SINGLE, { key: a.sdk, raw, headers: { "content-type": "application/json" } });
    expectOfrepError(res, 400, errorCode, FLAG);
  });

  it("answers 400 INVALID_CONTEXT, not the service-wide 413 problem, to a body over 256 KiB", async () => {
    const raw = JSON.stringify({ context: { blob: "x".repeat(300 * 1024) } });
    expectOfrepError(await api("POST", SINGLE, { key: a.sdk, raw, headers: { "content-type": "application/json" } }), 400, "INVALID_CONTEXT", FLAG);
    expectOfrepError(await api("POST", BULK, { key: a.sdk, raw, headers: { "content-type": "application/json" } }), 400, "INVALID_CONTEXT");
  });

  it("answers 400 INVALID_CONTEXT to a chunked body over 32 KiB", async () => {
    const chunk = new TextEncoder().encode(`{"context":{"blob":"${"x".repeat(40 * 1024)}"}}`);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(chunk);
        controller.close();
      },
    });
    const res = await fetch(`${target.baseUrl}${SINGLE}`, {
      method: "POST",
      headers: { authorization: `Bearer ${a.sdk}`, "content-type": "application/json" },
      body,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ key: FLAG, errorCode: "INVALID_CONTEXT" });
  });

  it("answers 401 without a key, and to a revoked, unknown or malformed one", async () => {
    expectOfrepError(await api("POST", SINGLE, { json: { context: {} } }), 401, "GENERAL", FLAG);
    for (const key of [a.revoked, `${a.sdk.slice(0, -4)}AAAA`, "not-a-key"]) {
      expectOfrepError(await api("POST", SINGLE, { key, json: { context: {} } }), 401, "GENERAL", FLAG);
    }
    expectOfrepError(await api("POST", SINGLE, { headers: { "x-api-key": a.revoked }, json: { context: {} } }), 401, "GENERAL", FLAG);
  });

  it("answers 403 to keys that are not sdk keys, before looking at the body", async () => {
    for (const key of [a.viewer, a.operator, a.admin]) {
      expectOfrepError(await api("POST", SINGLE, { key, raw: "{" }), 403, "GENERAL", FLAG);
    }
  });

  it("takes a revocation into account on the next request", async () => {
    const created = await ok(a.admin, "POST", "/v1/keys", { name: "short-lived", role: "sdk", env: "production" });
    expect((await api("POST", SINGLE, { key: created.secret, json: { context: {} } })).status).toBe(200);
    expect((await api("DELETE", `/v1/keys/${created.key.id}`, { key: a.admin })).status).toBe(204);
    expectOfrepError(await api("POST", SINGLE, { key: created.secret, json: { context: {} } }), 401, "GENERAL", FLAG);
  });

  it("serves a kill and a restore on the next request", async () => {
    const flag = "model.kill-me";
    await ok(a.admin, "POST", "/v1/flags", { key: flag, kind: "boolean" });
    const path = `/ofrep/v1/evaluate/flags/${flag}`;
    expect((await api("POST", path, { key: a.sdk, json: { context: {} } })).body.value).toBe(true);
    await ok(a.operator, "POST", `/v1/envs/production/flags/${flag}/kill`, { reason: "directive" });
    expect((await api("POST", path, { key: a.sdk, json: { context: {} } })).body).toMatchObject({ value: false, reason: "DISABLED" });
    await ok(a.operator, "POST", `/v1/envs/production/flags/${flag}/restore`, { reason: "lifted" });
    expect((await api("POST", path, { key: a.sdk, json: { context: {} } })).body).toMatchObject({ value: true, reason: "STATIC" });
  });

  it("evaluates the sdk key's own environment only", async () => {
    await ok(a.admin, "POST", "/v1/envs", { key: "staging" });
    const staging = await ok(a.admin, "POST", "/v1/keys", { name: "staging sdk", role: "sdk", env: "staging" });
    // The block exists in production only.
    const res = await api("POST", SINGLE, { key: staging.secret, json: { context: { nationality: "FR" } } });
    expect(res.body).toMatchObject({ value: true, reason: "STATIC" });
  });
});

describe("POST /ofrep/v1/evaluate/flags (bulk)", () => {
  it("evaluates every flag of the environment, with an ETag", async () => {
    const res = await api("POST", BULK, { key: a.sdk, json: { context: { targetingKey: "u1", nationality: "FR" } } });
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toMatch(/^"\d+-[0-9a-f]{32}"$/);
    const byKey = Object.fromEntries(res.body.flags.map((f: { key: string }) => [f.key, f]));
    expect(byKey[FLAG]).toMatchObject({ value: false, variant: "off", reason: "TARGETING_MATCH" });
    expect(byKey["banner.text"]).toMatchObject({ value: "Hello", variant: "plain", reason: "STATIC" });
    expect(res.body.metadata).toEqual({ version: expect.any(Number) });
  });

  it("answers 304 to a matching If-None-Match, and 200 to a changed context or a new version", async () => {
    const context = { targetingKey: "u9", nationality: "US", plan: "pro" };
    const first = await api("POST", BULK, { key: a.sdk, json: { context } });
    const etag = first.headers.get("etag")!;

    // The same context with its attributes in another order is the same context.
    const same = await api("POST", BULK, { key: a.sdk, json: { context: { plan: "pro", nationality: "US", targetingKey: "u9" } }, headers: { "if-none-match": etag } });
    expect(same.status).toBe(304);
    expect(same.body).toBeNull();
    expect(same.headers.get("etag")).toBe(etag);

    // A changed context never gets a 304, even when every flag answers the same.
    const changed = await api("POST", BULK, { key: a.sdk, json: { context: { ...context, plan: "free" } }, headers: { "if-none-match": etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);
    expect(changed.body.flags).toEqual(first.body.flags);

    // A new segment no rule names: a new version, the same answers.
    await ok(a.operator, "PUT", "/v1/envs/production/segments/unused", { include: ["u9"], reason: "contract" });
    const next = await api("POST", BULK, { key: a.sdk, json: { context }, headers: { "if-none-match": etag } });
    expect(next.status).toBe(200);
    expect(next.headers.get("etag")).not.toBe(etag);
    expect(next.body.flags).toEqual(first.body.flags);
    expect(next.body.metadata.version).toBe(first.body.metadata.version + 1);
  });

  it("answers failures of the whole request in OFREP's bulk shape", async () => {
    const invalid = await api("POST", BULK, { key: a.sdk, json: { context: 5 } });
    expectOfrepError(invalid, 400, "INVALID_CONTEXT");
    expectOfrepError(await api("POST", BULK, { key: a.sdk, raw: "nope" }), 400, "PARSE_ERROR");
    expectOfrepError(await api("POST", BULK, { key: a.revoked, json: { context: {} } }), 401, "GENERAL");
    expectOfrepError(await api("POST", BULK, { key: a.viewer, json: { context: {} } }), 403, "GENERAL");
  });

  it("accepts X-API-Key and keeps each tenant's flags to itself", async () => {
    const res = await api("POST", BULK, { headers: { "x-api-key": b.sdk }, json: { context: {} } });
    expect(res.status).toBe(200);
    expect(res.body.flags).toEqual([]);
  });
});
