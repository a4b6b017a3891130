import { afterAll, beforeAll, expect, it } from "vitest";
import { apiFor, type Api } from "../support/api.js";
import { startContractTarget, type ContractTarget } from "../support/contract-target.js";
import { createTenant } from "../support/tenants.js";

let target: ContractTarget;
let api: Api;

beforeAll(async () => {
  target = await startContractTarget();
  api = apiFor(target);
});
afterAll(() => target.close());

it("keeps tenants, keys, flags, versions and the audit chain across a restart on the same database", async () => {
  const t = await createTenant(target, api);
  await api("POST", "/v1/flags", { key: t.operator, json: { key: "model.fable-5", kind: "boolean" } });
  const block = await api("POST", "/v1/envs/production/flags/model.fable-5/block", {
    key: t.operator,
    json: { reason: "directive", when: [{ attribute: "nationality", op: "notIn", values: ["US"] }] },
  });
  const before = (await api("GET", "/v1/envs/production/snapshot", { key: t.viewer })).body;
  const audit = (await api("GET", "/v1/audit/verify", { key: t.viewer })).body;

  await target.restart!();

  expect((await api("GET", "/v1/envs/production/snapshot", { key: t.sdk })).body).toEqual(before);
  expect((await api("GET", "/v1/audit/verify", { key: t.viewer })).body).toEqual(audit);
  expect((await api("GET", "/v1/flags", { key: t.revoked })).status).toBe(401);
  const kill = await api("POST", "/v1/envs/production/flags/model.fable-5/kill", { key: t.operator, json: { reason: "after restart" } });
  expect(kill.body).toEqual({ version: block.body.version + 1, audit: expect.objectContaining({ seq: expect.any(Number) }) });
  expect((await api("GET", "/v1/audit/verify", { key: t.viewer })).body).toEqual({ ok: true, entries: audit.entries + 1, breaks: [] });
});
