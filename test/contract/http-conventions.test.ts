/**
 * Problem JSON, body limits, content types, unknown routes, health and OpenAPI.
 */
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Api } from "../support/api.js";
import { startWithTenant } from "../support/contract-tenant.js";
import type { ContractTarget } from "../support/contract-target.js";
import type { TestTenant } from "../support/tenants.js";

let target: ContractTarget;
let api: Api;
let t: TestTenant;

beforeAll(async () => {
  ({ target, api, t } = await startWithTenant());
});
afterAll(() => target.close());

const huge = JSON.stringify({ key: "big", kind: "string", variants: { a: "x".repeat(256 * 1024) } });

describe("bodies", () => {
  it("answers 413 to a body over 256 KiB, before authentication", async () => {
    for (const key of [t.operator, undefined]) {
      const res = await api("POST", "/v1/flags", { key, raw: huge, headers: { "content-type": "application/json" } });
      expect(res.status).toBe(413);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect(res.body.type).toBe("https://killswitch.dev/problems/payload-too-large");
    }
  });

  it("answers 413 to an oversized body sent without a Content-Length", async () => {
    // Chunked, so only counting the bytes can find the size; the server may answer before it has read them all.
    const url = new URL("/v1/flags", target.baseUrl);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(url, {
        method: "POST",
        headers: { authorization: `Bearer ${t.operator}`, "content-type": "application/json", "transfer-encoding": "chunked" },
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      const chunk = "x".repeat(64 * 1024);
      for (let i = 0; i < 5; i++) req.write(chunk);
      req.end();
    });
    expect(status).toBe(413);
  });

  it("answers 400 malformed-json to broken JSON", async () => {
    const res = await api("POST", "/v1/flags", { key: t.operator, raw: '{"key": "x",', headers: { "content-type": "application/json" } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ type: "https://killswitch.dev/problems/malformed-json", status: 400, title: "Malformed JSON" });
  });

  it("answers 415 to a body that is not JSON, and 400 to a missing body", async () => {
    const form = await api("POST", "/v1/flags", { key: t.operator, raw: "key=x", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(form.status).toBe(415);
    const untyped = await api("POST", "/v1/flags", { key: t.operator, raw: '{"key":"x","kind":"boolean"}' });
    expect(untyped.status).toBe(415);
    const none = await api("POST", "/v1/flags", { key: t.operator });
    expect(none.status).toBe(400);
  });

  it("accepts application/json with parameters and +json types", async () => {
    const res = await api("POST", "/v1/flags", {
      key: t.operator,
      raw: '{"key":"typed","kind":"boolean"}',
      headers: { "content-type": "application/merge-patch+json; charset=utf-8" },
    });
    expect(res.status).toBe(201);
  });

  it("names every wrong type and unknown field in errors", async () => {
    const res = await api("POST", "/v1/flags", { key: t.operator, json: { key: 42, kind: "boolean", tags: "model", colour: "red" } });
    expect(res.status).toBe(400);
    const paths = res.body.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(["colour", "key", "tags"]);
    for (const error of res.body.errors) expect(error).toEqual({ path: expect.any(String), message: expect.any(String), code: expect.any(String) });
    expect(res.body.detail).toEqual(expect.any(String));
  });

  it("rejects a JSON body that is not an object", async () => {
    for (const raw of ["[]", "null", '"text"', "42"]) {
      const res = await api("POST", "/v1/envs", { key: t.admin, raw, headers: { "content-type": "application/json" } });
      expect(res.status, raw).toBe(400);
    }
  });

  it("answers 400, not 500, to a body nested thousands of levels deep", async () => {
    const deep = "[".repeat(50_000) + "]".repeat(50_000);
    const res = await api("POST", "/v1/flags", {
      key: t.operator,
      raw: `{"key":"deep","kind":"json","variants":{"a":${deep}}}`,
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(400);
    expect(res.body.type).toBe("https://killswitch.dev/problems/validation");
  });

  it("bounds list lengths", async () => {
    const values = Array.from({ length: 10_001 }, (_, i) => `company-${i}`);
    const res = await api("PUT", "/v1/envs/production/segments/big", {
      key: t.operator,
      json: { rules: [{ when: [{ attribute: "employer", op: "in", values }] }], reason: "contract" },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe("rules[0].when[0].values");
  });
});

describe("routes", () => {
  it("answers unknown routes with a 404 problem", async () => {
    const res = await api("GET", "/nowhere");
    expect(res.status).toBe(404);
    expect(res.body.type).toBe("https://killswitch.dev/problems/not-found");
    const keyed = await api("GET", "/v1/nowhere", { key: t.viewer });
    expect(keyed.status).toBe(404);
  });

  it("answers a path key that breaks the grammar with 404", async () => {
    expect((await api("GET", "/v1/flags/%20bad", { key: t.viewer })).status).toBe(404);
  });

  it("serves /healthz without a key", async () => {
    const res = await api("GET", "/healthz");
    expect(res).toMatchObject({ status: 200, body: { ok: true } });
  });

  it("serves /readyz without a key: ready when the database answers a read and takes a write", async () => {
    const res = await api("GET", "/readyz");
    expect(res).toMatchObject({ status: 200, body: { ok: true } });
  });

  it("serves an OpenAPI 3.1 document whose references all resolve", async () => {
    const res = await api("GET", "/openapi.json");
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe("3.1.0");
    const refs = [...JSON.stringify(res.body).matchAll(/"\$ref":"([^"]+)"/g)].map(([, r]) => r!);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of new Set(refs)) {
      expect(ref).toMatch(/^#\/components\/schemas\/[A-Za-z]+$/);
      expect(res.body.components.schemas[ref.split("/").pop()!], ref).toBeDefined();
    }
    const put = res.body.paths["/v1/envs/{env}/flags/{key}"].put;
    expect(put.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/FlagConfigInput" });
    expect(res.body.components.schemas.FlagConfigInput.properties.failMode).toBeDefined();
  });
});
