import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiFor, type Api } from "../support/api.js";
import { startContractTarget, type ContractTarget } from "../support/contract-target.js";
import { createTenant, type TestTenant } from "../support/tenants.js";

let target: ContractTarget;
let api: Api;

beforeAll(async () => {
  target = await startContractTarget();
  api = apiFor(target);
});
afterAll(() => target.close());

async function tenantWithHistory(): Promise<TestTenant> {
  const t = await createTenant(target, api);
  await api("POST", "/v1/flags", { key: t.operator, json: { key: "model.fable-5", kind: "boolean" } });
  await api("POST", "/v1/envs/production/flags/model.fable-5/kill", {
    key: t.operator,
    json: { reason: "Directive received", directive: "EXPORT-2026-001" },
  });
  return t;
}

describe("the audit log", () => {
  it("records who, what, before, after, reason and directive, newest first", async () => {
    const t = await tenantWithHistory();
    const res = await api("GET", "/v1/audit?limit=1", { key: t.viewer });
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(1);
    const [kill] = res.body.items;
    expect(kill).toMatchObject({
      action: "flag.kill",
      entity: "flag-config",
      key: "model.fable-5",
      env: "production",
      actor: { keyId: expect.stringMatching(/^key_/), name: "operator key", role: "operator" },
      reason: "Directive received",
      directive: "EXPORT-2026-001",
      before: expect.objectContaining({ enabled: true }),
      after: expect.objectContaining({ enabled: false }),
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(new Date(kill.at).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const rest = await api("GET", `/v1/audit?limit=500&cursor=${res.body.nextCursor}`, { key: t.viewer });
    const seqs = [kill.seq, ...rest.body.items.map((e: { seq: number }) => e.seq)];
    expect(seqs).toEqual([...seqs].sort((x, y) => y - x));
    expect(seqs.at(-1)).toBe(1);
    expect(rest.body.items.at(-1).action).toBe("tenant.create");
    expect(rest.body.items[0].prevHash).toBe(rest.body.items[1].hash);
    expect(kill.prevHash).toBe(rest.body.items[0].hash);
  });

  it("audits key changes too, but SDKs never receive them", async () => {
    const t = await createTenant(target, api);
    const entries = (await api("GET", "/v1/audit?limit=500", { key: t.viewer })).body.items;
    expect(entries.map((e: { action: string }) => e.action)).toContain("key.revoke");
    expect(entries.filter((e: { action: string }) => e.action === "key.create").length).toBe(4);
    expect((await api("GET", "/v1/envs/production/snapshot", { key: t.viewer })).body.version).toBe(0);
  });

  it("verifies an intact chain", async () => {
    const t = await tenantWithHistory();
    const res = await api("GET", "/v1/audit/verify", { key: t.viewer });
    expect(res.body).toEqual({ ok: true, entries: 8 });
  });

  it("reports the first row edited behind the service's back", async () => {
    const t = await tenantWithHistory();
    await target.sql!("UPDATE audit_log SET reason = 'nothing happened' WHERE tenant_id = ? AND seq = 8", [t.id]);
    expect((await api("GET", "/v1/audit/verify", { key: t.viewer })).body).toEqual({ ok: false, entries: 8, brokenAt: 8 });

    const u = await tenantWithHistory();
    await target.sql!("UPDATE audit_log SET after = '{\"enabled\":true}' WHERE tenant_id = ? AND seq = 7", [u.id]);
    expect((await api("GET", "/v1/audit/verify", { key: u.viewer })).body).toMatchObject({ ok: false, brokenAt: 7 });

    const v = await tenantWithHistory();
    await target.sql!("DELETE FROM audit_log WHERE tenant_id = ? AND seq = 3", [v.id]);
    expect((await api("GET", "/v1/audit/verify", { key: v.viewer })).body).toEqual({ ok: false, entries: 7, brokenAt: 4 });
  });

  it("keeps tenants' chains apart: tampering with one leaves the other intact", async () => {
    const t = await tenantWithHistory();
    const u = await tenantWithHistory();
    await target.sql!("UPDATE audit_log SET actor_name = 'someone else' WHERE tenant_id = ? AND seq = 2", [t.id]);
    expect((await api("GET", "/v1/audit/verify", { key: t.viewer })).body.ok).toBe(false);
    expect((await api("GET", "/v1/audit/verify", { key: u.viewer })).body.ok).toBe(true);
  });
});
