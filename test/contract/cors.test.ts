/**
 * CORS on both hosts: the SDK-facing routes (snapshot, OFREP) answer a browser's
 * preflight without a key and mark every answer readable by any origin; the admin
 * API does not. On the Worker the preflight is answered before the request is
 * routed by its key, so it must hold there as on Node.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiFor, type Api } from "../support/api.js";
import { startContractTarget, type ContractTarget } from "../support/contract-target.js";
import { createTenant, type TestTenant } from "../support/tenants.js";

let target: ContractTarget;
let api: Api;
let t: TestTenant;

const ORIGIN = "http://page.example";
const preflight = (path: string, method: string, headers = "authorization, if-none-match") =>
  fetch(`${target.baseUrl}${path}`, {
    method: "OPTIONS",
    headers: { origin: ORIGIN, "access-control-request-method": method, "access-control-request-headers": headers },
  });

beforeAll(async () => {
  target = await startContractTarget();
  api = apiFor(target);
  t = await createTenant(target, api, "cors");
});

afterAll(() => target.close());

describe("SDK-facing routes", () => {
  it.each([
    ["/v1/envs/production/snapshot", "GET"],
    ["/v1/snapshot", "GET"],
    ["/ofrep/v1/evaluate/flags", "POST"],
    ["/ofrep/v1/evaluate/flags/model.x", "POST"],
  ])("answer a preflight of %s without a key", async (path, method) => {
    const res = await preflight(path, method, "authorization, content-type");
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-methods")).toContain(method);
    expect(res.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("mark the snapshot, its ETag and a refusal readable by any origin", async () => {
    const ok = await api("GET", "/v1/envs/production/snapshot", { key: t.sdk, headers: { origin: ORIGIN } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe("*");
    expect(ok.headers.get("access-control-expose-headers")?.toLowerCase()).toContain("etag");
    const refused = await api("GET", "/v1/envs/production/snapshot", { key: t.revoked, headers: { origin: ORIGIN } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("access-control-allow-origin")).toBe("*");
  });
});

describe("the admin API", () => {
  it("gets no CORS: its preflight is not allowed", async () => {
    const res = await preflight("/v1/flags", "POST");
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const listed = await api("GET", "/v1/flags", { key: t.admin, headers: { origin: ORIGIN } });
    expect(listed.status).toBe(200);
    expect(listed.headers.get("access-control-allow-origin")).toBeNull();
  });
});
