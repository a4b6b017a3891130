/**
 * The answers the Worker gives itself, before any tenant's object (unknown
 * routes, bodies over the limit, missing or unusable keys, the root token,
 * OFREP refusals), compared request by request with the Node host's, which
 * runs the shared app for all of them: same status, same headers that
 * matter, same body.
 */
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiFor } from "../support/api.js";
import { startContractTarget, type ContractTarget } from "../support/contract-target.js";
import { createTenant, type TestTenant } from "../support/tenants.js";
import { startWorkerTarget } from "../support/worker-target.js";

interface Host {
  target: ContractTarget;
  tenant: TestTenant;
}

interface Call {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Each case names its request per host, since keys differ between the two. */
type Case = [name: string, call: (host: Host) => Call];

const SECRET = "A".repeat(43);
const json = { "content-type": "application/json" };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const huge = JSON.stringify({ key: "big", description: "x".repeat(300 * 1024) });
const bigContext = JSON.stringify({ context: { targetingKey: "u", blob: "x".repeat(40 * 1024) } });
const context = JSON.stringify({ context: { targetingKey: "user-1" } });
const OFREP = "/ofrep/v1/evaluate/flags";

const CASES: Case[] = [
  ["an unknown route", () => ({ method: "GET", path: "/nope" })],
  ["an unknown route with a body over the limit", () => ({ method: "POST", path: "/nope", headers: json, body: huge })],
  ["a /v1 route without a key", () => ({ method: "GET", path: "/v1/envs" })],
  ["a /v1 route with a key naming no tenant", () => ({ method: "GET", path: "/v1/envs", headers: bearer(`ks_NOPE_${SECRET}`) })],
  ["a /v1 route with a key that is not ks_-shaped", () => ({ method: "GET", path: "/v1/envs", headers: bearer("hello") })],
  ["a /v1 route with Basic credentials", () => ({ method: "GET", path: "/v1/envs", headers: { authorization: "Basic eDp5" } })],
  ["a /v1 route with X-API-Key only", ({ tenant }) => ({ method: "GET", path: "/v1/envs", headers: { "x-api-key": tenant.admin } })],
  ["the root token outside POST /v1/tenants", ({ target }) => ({ method: "GET", path: "/v1/envs", headers: bearer(target.rootToken) })],
  ["a body over 256 KiB without a key", () => ({ method: "POST", path: "/v1/flags", headers: json, body: huge })],
  ["a body over 256 KiB with a key", ({ tenant }) => ({ method: "POST", path: "/v1/flags", headers: { ...json, ...bearer(tenant.operator) }, body: huge })],
  ["an invalid tenant", ({ target }) => ({ method: "POST", path: "/v1/tenants", headers: { ...json, ...bearer(target.rootToken) }, body: '{"name":""}' })],
  ["OFREP bulk without a key", () => ({ method: "POST", path: OFREP, headers: json, body: context })],
  ["OFREP single flag without a key", () => ({ method: "POST", path: `${OFREP}/model.fable-5`, headers: json, body: context })],
  ["OFREP with a key naming no tenant", () => ({ method: "POST", path: `${OFREP}/model.fable-5`, headers: { ...json, "x-api-key": `ks_NOPE_${SECRET}` }, body: context })],
  ["OFREP with the root token as X-API-Key", ({ target }) => ({ method: "POST", path: OFREP, headers: { ...json, "x-api-key": target.rootToken }, body: context })],
  ["OFREP with the root token as bearer", ({ target }) => ({ method: "POST", path: `${OFREP}/a%2Fb`, headers: { ...json, ...bearer(target.rootToken) }, body: context })],
  ["OFREP with a revoked key", ({ tenant }) => ({ method: "POST", path: OFREP, headers: { ...json, ...bearer(tenant.revoked) }, body: context })],
  ["OFREP with a context over its limit", ({ tenant }) => ({ method: "POST", path: `${OFREP}/model.fable-5`, headers: { ...json, ...bearer(tenant.sdk) }, body: bigContext })],
  ["OFREP bulk with a body over 256 KiB", ({ tenant }) => ({ method: "POST", path: OFREP, headers: { ...json, ...bearer(tenant.sdk) }, body: huge })],
  ["OFREP for an unknown flag", ({ tenant }) => ({ method: "POST", path: `${OFREP}/model.none`, headers: { ...json, ...bearer(tenant.sdk) }, body: context })],
  ["OFREP's path with GET", ({ tenant }) => ({ method: "GET", path: OFREP, headers: bearer(tenant.sdk) })],
  ["a path below OFREP's", ({ tenant }) => ({ method: "POST", path: `${OFREP}/a/b`, headers: { ...json, ...bearer(tenant.sdk) }, body: context })],
];

/** Stream upgrades each host refuses: the same credentials, read in the same places, checked in the same order. */
const UPGRADES: [name: string, headers: (host: Host) => Record<string, string>, query?: string][] = [
  ["no key", () => ({})],
  ["the root token", ({ target }) => bearer(target.rootToken)],
  ["an admin key", ({ tenant }) => bearer(tenant.admin)],
  ["an admin key offered as a subprotocol", ({ tenant }) => ({ "sec-websocket-protocol": `killswitch.v1, ${tenant.admin}` })],
  ["a revoked key", ({ tenant }) => bearer(tenant.revoked)],
  ["a key naming no tenant", () => bearer(`ks_nopenopeno_${SECRET}`)],
  ["a key that is not ks_-shaped", () => bearer("hello")],
  ["X-API-Key, which the stream does not read", ({ tenant }) => ({ "x-api-key": tenant.sdk })],
  ["an sdk key with a query parameter", ({ tenant }) => bearer(tenant.sdk), "?since=3"],
];

/** A WebSocket upgrade of /v1/stream as a client sends it; a refusal comes back as a plain HTTP answer. */
function upgrade(host: Host, headers: Record<string, string>, query = "") {
  return new Promise<{ status: number; contentType: string | undefined; wwwAuthenticate: string | undefined; body: unknown }>((resolve, reject) => {
    const req = httpRequest(new URL(`/v1/stream${query}`, host.target.baseUrl), {
      headers: { connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", ...headers },
    });
    req.on("upgrade", (_res, socket) => {
      socket.destroy();
      reject(new Error("the upgrade was accepted"));
    });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers["content-type"],
          wwwAuthenticate: res.headers["www-authenticate"],
          body: JSON.parse(text) as unknown,
        }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

/** What a client sees: status, the headers the contract names, and the body. */
async function answer(host: Host, call: Call) {
  const res = await fetch(`${host.target.baseUrl}${call.path}`, { method: call.method, headers: call.headers, body: call.body });
  const text = await res.text();
  return {
    status: res.status,
    contentType: res.headers.get("content-type"),
    wwwAuthenticate: res.headers.get("www-authenticate"),
    body: text === "" ? null : JSON.parse(text),
  };
}

let node: Host;
let worker: Host;

async function host(target: ContractTarget): Promise<Host> {
  const api = apiFor(target);
  const tenant = await createTenant(target, api, "edge");
  expect((await api("POST", "/v1/flags", { key: tenant.operator, json: { key: "model.fable-5", kind: "boolean" } })).status).toBe(201);
  return { target, tenant };
}

beforeAll(async () => {
  [node, worker] = await Promise.all([startContractTarget().then(host), startWorkerTarget().then(host)]);
}, 120_000);
afterAll(async () => {
  await Promise.all([node?.target.close(), worker?.target.close()]);
});

describe("the Worker answers as the Node host does", () => {
  it.each(CASES)("%s", async (_name, call) => {
    const expected = await answer(node, call(node));
    expect(expected.status).toBeGreaterThanOrEqual(400); // every case here is a refusal
    expect(await answer(worker, call(worker))).toEqual(expected);
  });

  it.each(UPGRADES)("refuses a stream upgrade with %s", async (_name, headers, query) => {
    const expected = await upgrade(node, headers(node), query);
    expect(expected.status).toBeGreaterThanOrEqual(400);
    expect(await upgrade(worker, headers(worker), query)).toEqual(expected);
  });

  it("keeps serving after an over-long chunked body it answered before reading it all", async () => {
    const chunked = (target: ContractTarget, key: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(new URL("/v1/flags", target.baseUrl), {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "transfer-encoding": "chunked" },
        });
        req.on("response", (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        for (let i = 0; i < 8; i++) req.write("x".repeat(64 * 1024));
        req.end();
      });
    expect(await chunked(worker.target, worker.tenant.operator)).toBe(413);
    // Before the body was drained, workerd restarted the Worker and this answered 503.
    const next = await answer(worker, { method: "POST", path: "/v1/flags", headers: { ...json, ...bearer(worker.tenant.operator) }, body: "{" });
    expect(next.status).toBe(400);
  });
});
