/**
 * OFREP end to end with the ecosystem's own client: the real OpenFeature server
 * SDK with the real OFREP provider, pointed at the service. What an application
 * that adopts Killswitch through OpenFeature would see.
 */
import { OFREPProvider } from "@openfeature/ofrep-provider";
import { OpenFeature, type Client } from "@openfeature/server-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { okBody, type Api } from "../support/api.js";
import { startWithTenant } from "../support/contract-tenant.js";
import type { ContractTarget } from "../support/contract-target.js";
import type { TestTenant } from "../support/tenants.js";

let target: ContractTarget;
let api: Api;
let t: TestTenant;
let bearer: Client;
let apiKey: Client;

const ok = (method: string, path: string, json: unknown): Promise<any> => okBody(api, t.admin, method, path, json);

beforeAll(async () => {
  ({ target, api, t } = await startWithTenant());
  await ok("POST", "/v1/flags", { key: "model.fable-5", kind: "boolean" });
  await ok("POST", "/v1/flags", { key: "model.sonnet", kind: "boolean" });
  await ok("POST", "/v1/flags", { key: "chat.model", kind: "string", variants: { fable: "model.fable-5", sonnet: "model.sonnet" } });
  await ok("POST", "/v1/flags", { key: "chat.limits", kind: "json", variants: { standard: { rpm: 60, models: ["model.sonnet"] }, none: { rpm: 0 } } });
  await ok("PUT", "/v1/envs/production/segments/foreign-nationals", {
    rules: [{ when: [{ attribute: "nationality", op: "notIn", values: ["US"] }] }],
    reason: "contract",
  });

  // Two providers, one per way OFREP carries the key, each on its own domain.
  await OpenFeature.setProviderAndWait(
    "ofrep-bearer",
    new OFREPProvider({ baseUrl: target.baseUrl, headers: { Authorization: `Bearer ${t.sdk}` } }),
  );
  await OpenFeature.setProviderAndWait("ofrep-api-key", new OFREPProvider({ baseUrl: target.baseUrl, headers: { "X-API-Key": t.sdk } }));
  bearer = OpenFeature.getClient("ofrep-bearer");
  apiKey = OpenFeature.getClient("ofrep-api-key");
});

afterAll(async () => {
  await OpenFeature.close();
  await target.close();
});

describe("OpenFeature's OFREP provider against the service", () => {
  it("resolves a boolean flag, with Bearer and with X-API-Key", async () => {
    for (const client of [bearer, apiKey]) {
      const details = await client.getBooleanDetails("model.sonnet", false, { targetingKey: "u1" });
      expect(details).toMatchObject({ flagKey: "model.sonnet", value: true, variant: "on", reason: "STATIC" });
      expect(details.errorCode).toBeUndefined();
    }
  });

  it("resolves a string flag", async () => {
    const details = await bearer.getStringDetails("chat.model", "model.none", { targetingKey: "u1" });
    expect(details).toMatchObject({ value: "model.fable-5", variant: "fable", reason: "STATIC" });
  });

  it("resolves an object flag", async () => {
    const details = await bearer.getObjectDetails("chat.limits", {}, { targetingKey: "u1" });
    expect(details).toMatchObject({ value: { rpm: 60, models: ["model.sonnet"] }, variant: "standard", reason: "STATIC" });
  });

  it("sees a kill on the next evaluation", async () => {
    await ok("POST", "/v1/envs/production/flags/model.sonnet/kill", { reason: "directive" });
    const details = await bearer.getBooleanDetails("model.sonnet", true, { targetingKey: "u1" });
    expect(details).toMatchObject({ value: false, variant: "off", reason: "DISABLED" });
  });

  it("sees a segment block: a foreign national, and an unknown nationality, are blocked; a US/FR dual national is not", async () => {
    const { ruleId } = await ok("POST", "/v1/envs/production/flags/model.fable-5/block", {
      reason: "EXPORT-2026-001",
      segment: "foreign-nationals",
    });
    const fr = await bearer.getBooleanDetails("model.fable-5", true, { targetingKey: "u-fr", nationality: "FR" });
    expect(fr).toMatchObject({ value: false, variant: "off", reason: "TARGETING_MATCH", flagMetadata: { ruleId } });
    expect(await apiKey.getBooleanValue("model.fable-5", true, { targetingKey: "u-unknown" })).toBe(false);
    expect(await bearer.getBooleanValue("model.fable-5", false, { targetingKey: "u-dual", nationality: ["US", "FR"] })).toBe(true);
  });

  it("serves the caller's default, with FLAG_NOT_FOUND, for an unknown flag", async () => {
    const details = await bearer.getBooleanDetails("model.unknown", true, { targetingKey: "u1" });
    expect(details).toMatchObject({ value: true, reason: "ERROR", errorCode: "FLAG_NOT_FOUND" });
  });

  it("serves the caller's default, with TYPE_MISMATCH, when the flag's type differs", async () => {
    const details = await bearer.getNumberDetails("chat.model", 7, { targetingKey: "u1" });
    expect(details).toMatchObject({ value: 7, reason: "ERROR", errorCode: "TYPE_MISMATCH" });
  });

  it("serves the caller's default when the key is revoked", async () => {
    const created = await ok("POST", "/v1/keys", { name: "revoked soon", role: "sdk", env: "production" });
    await OpenFeature.setProviderAndWait("ofrep-revoked", new OFREPProvider({ baseUrl: target.baseUrl, headers: { "X-API-Key": created.secret } }));
    const client = OpenFeature.getClient("ofrep-revoked");
    expect(await client.getStringValue("chat.model", "fallback", { targetingKey: "u1" })).toBe("model.fable-5");
    expect((await api("DELETE", `/v1/keys/${created.key.id}`, { key: t.admin })).status).toBe(204);
    const details = await client.getStringDetails("chat.model", "fallback", { targetingKey: "u1" });
    expect(details).toMatchObject({ value: "fallback", reason: "ERROR" });
  });
});
