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
    // The entry's time is its commit's: the same instant the change's receipt gives.
    const { version } = (await api("GET", "/v1/envs/production/snapshot", { key: t.viewer })).body;
    const receipt = (await api("GET", `/v1/envs/production/changes/${version}`, { key: t.viewer })).body;
    expect(receipt.audit.seq).toBe(kill.seq);
    expect(Date.parse(kill.at)).toBe(Date.parse(receipt.committedAt));
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
    expect(res.body).toEqual({ ok: true, entries: 8, breaks: [] });
  });

  it("reports the first row edited behind the service's back", async () => {
    const t = await tenantWithHistory();
    await target.sql!("UPDATE audit_log SET reason = 'nothing happened' WHERE tenant_id = ? AND seq = 8", [t.id]);
    expect((await api("GET", "/v1/audit/verify", { key: t.viewer })).body).toEqual({ ok: false, entries: 8, breaks: [8], brokenAt: 8 });

    const u = await tenantWithHistory();
    await target.sql!("UPDATE audit_log SET after = '{\"enabled\":true}' WHERE tenant_id = ? AND seq = 7", [u.id]);
    expect((await api("GET", "/v1/audit/verify", { key: u.viewer })).body).toMatchObject({ ok: false, brokenAt: 7 });

    const v = await tenantWithHistory();
    await target.sql!("DELETE FROM audit_log WHERE tenant_id = ? AND seq = 3", [v.id]);
    expect((await api("GET", "/v1/audit/verify", { key: v.viewer })).body).toEqual({ ok: false, entries: 7, breaks: [4], brokenAt: 4 });
  });

  it("keeps tenants' chains apart: tampering with one leaves the other intact", async () => {
    const t = await tenantWithHistory();
    const u = await tenantWithHistory();
    await target.sql!("UPDATE audit_log SET actor_name = 'someone else' WHERE tenant_id = ? AND seq = 2", [t.id]);
    expect((await api("GET", "/v1/audit/verify", { key: t.viewer })).body.ok).toBe(false);
    expect((await api("GET", "/v1/audit/verify", { key: u.viewer })).body.ok).toBe(true);
  });

  it("detects a __proto__ key edited into a stored entry, and lists the entry as stored", async () => {
    const t = await tenantWithHistory();
    const killed = (await api("GET", "/v1/audit?limit=1", { key: t.viewer })).body.items[0];
    const tampered = JSON.stringify(killed.after).replace(/^\{/, '{"__proto__":{"isAdmin":true},');
    await target.sql!("UPDATE audit_log SET after = ? WHERE tenant_id = ? AND seq = 8", [tampered, t.id]);
    expect((await api("GET", "/v1/audit/verify", { key: t.viewer })).body).toEqual({ ok: false, entries: 8, breaks: [8], brokenAt: 8 });
    const listed = await fetch(`${target.baseUrl}/v1/audit?limit=1`, { headers: { authorization: `Bearer ${t.viewer}` } });
    expect(await listed.text()).toContain('"after":{"__proto__":{"isAdmin":true},"enabled":false');
  });
});

describe("checkpoints outside the database", () => {
  const HASH = /^[0-9a-f]{64}$/;
  const newest = async (t: TestTenant) => {
    const [entry] = (await api("GET", "/v1/audit?limit=1", { key: t.viewer })).body.items;
    return { seq: entry.seq as number, hash: entry.hash as string };
  };

  it("answers every write with the audit entry it appended: in the body, and in headers (204 too)", async () => {
    const t = await createTenant(target, api);
    const flagPath = "/v1/envs/production/flags/model.fable-5";
    const writes: [string, string, string, unknown?][] = [
      [t.admin, "POST", "/v1/envs", { key: "staging" }],
      [t.admin, "POST", "/v1/keys", { name: "ci", role: "viewer" }],
      [t.operator, "POST", "/v1/flags", { key: "model.fable-5", kind: "boolean" }],
      [t.operator, "PATCH", "/v1/flags/model.fable-5", { description: "the model" }],
      [t.operator, "PUT", flagPath, { enabled: true, offVariant: "off", rules: [], fallthrough: { variant: "on" }, failMode: "closed", reason: "fail closed" }],
      [t.operator, "POST", `${flagPath}/kill`, { reason: "directive" }],
      [t.operator, "POST", `${flagPath}/restore`, { reason: "clarified" }],
      [t.operator, "POST", `${flagPath}/block`, { reason: "directive", when: [{ attribute: "employer", op: "in", values: ["acme"] }] }],
      [t.admin, "POST", "/v1/attributes", { name: "plan", type: "string" }],
      [t.admin, "PUT", "/v1/attributes/plan", { type: "string", list: true }],
      [t.operator, "PUT", "/v1/envs/production/segments/staff", { include: ["u-1"], reason: "staff" }],
      [t.operator, "DELETE", "/v1/envs/production/segments/staff", { reason: "unused" }],
    ];
    let seq = (await newest(t)).seq;
    for (const [key, method, path, json] of writes) {
      const res = await api(method, path, { key, json });
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
      seq++;
      const head = await newest(t);
      expect(head.seq, `${method} ${path}`).toBe(seq);
      expect(res.body.audit, `${method} ${path}`).toEqual(head);
      expect(res.headers.get("killswitch-audit-seq")).toBe(String(seq));
      expect(res.headers.get("killswitch-audit-hash")).toBe(head.hash);
    }
    const ruleId = (await api("GET", flagPath, { key: t.viewer })).body.rules[0].id;
    const lifted = await api("DELETE", `${flagPath}/rules/${ruleId}`, { key: t.operator, json: { reason: "withdrawn" } });
    expect(lifted.body).toEqual({ version: expect.any(Number), audit: await newest(t) });

    // Answers without a body carry the headers only.
    const keyId = (await api("POST", "/v1/keys", { key: t.admin, json: { name: "gone", role: "viewer" } })).body.key.id;
    for (const [key, path] of [[t.admin, `/v1/keys/${keyId}`], [t.admin, "/v1/attributes/plan"], [t.operator, "/v1/flags/model.fable-5"]] as const) {
      const res = await api("DELETE", path, { key, json: { reason: "cleanup" } });
      expect(res.status).toBe(204);
      const head = await newest(t);
      expect(res.headers.get("killswitch-audit-seq")).toBe(String(head.seq));
      expect(res.headers.get("killswitch-audit-hash")).toBe(head.hash);
    }

    // Tenant creation too; a refused write and a read carry none.
    const created = await api("POST", "/v1/tenants", { key: target.rootToken, json: { name: "another" } });
    expect(created.body.audit).toEqual({ seq: 1, hash: expect.stringMatching(HASH) });
    const refused = await api("POST", `${flagPath}/kill`, { key: t.operator, json: {} });
    expect(refused.status).toBe(404);
    expect(refused.headers.get("killswitch-audit-seq")).toBeNull();
    const read = await api("GET", "/v1/flags", { key: t.viewer });
    expect(read.body.audit).toBeUndefined();
    expect(read.headers.get("killswitch-audit-seq")).toBeNull();
  });

  it("answers the chain's head, for an auditor to keep", async () => {
    const t = await tenantWithHistory();
    const res = await api("GET", "/v1/audit/head", { key: t.viewer });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...(await newest(t)), at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(res.body.seq).toBe(8);
  });

  it("detects the newest rows deleted, which verify without a checkpoint cannot see", async () => {
    const t = await tenantWithHistory();
    const checkpoint = (await api("GET", "/v1/audit/head", { key: t.viewer })).body;
    const verify = (query = "") => api("GET", `/v1/audit/verify${query}`, { key: t.viewer });
    expect((await verify(`?seq=${checkpoint.seq}&hash=${checkpoint.hash}`)).body).toEqual({ ok: true, entries: 8, breaks: [] });

    await target.sql!("DELETE FROM audit_log WHERE tenant_id = ? AND seq >= 7", [t.id]);
    expect((await verify()).body).toEqual({ ok: true, entries: 6, breaks: [] });
    expect((await verify(`?seq=${checkpoint.seq}&hash=${checkpoint.hash}`)).body).toEqual({
      ok: false,
      entries: 6,
      breaks: [],
      missing: checkpoint.seq,
    });
  });

  it("refuses half a checkpoint or a malformed one", async () => {
    const t = await createTenant(target, api);
    for (const query of ["?seq=1", `?hash=${"a".repeat(64)}`, "?seq=0&hash=" + "a".repeat(64), "?seq=1&hash=xyz"]) {
      const res = await api("GET", `/v1/audit/verify${query}`, { key: t.viewer });
      expect(res.status, query).toBe(400);
      expect(res.body.errors.length, query).toBeGreaterThan(0);
    }
  });
});

describe("propagation receipts", () => {
  it("say no-instances, never complete, for a change no instance was connected to receive, and name its audit entry", async () => {
    const t = await createTenant(target, api);
    await api("POST", "/v1/flags", { key: t.operator, json: { key: "model.fable-5", kind: "boolean" } });
    const kill = await api("POST", "/v1/envs/production/flags/model.fable-5/kill", { key: t.operator, json: { reason: "directive" } });
    const path = `/v1/envs/production/changes/${kill.body.version}`;
    const receipt = await api("GET", path, { key: t.viewer });
    expect(receipt.status, JSON.stringify(receipt.body)).toBe(200);
    expect(receipt.body).toMatchObject({ status: "no-instances", complete: false, final: expect.any(Boolean) });
    // Nothing will change it: it is saved as final at once.
    await expect.poll(() => api("GET", path, { key: t.viewer }).then((r) => r.body.final), { timeout: 10_000 }).toBe(true);
    expect((await api("GET", path, { key: t.viewer })).body).toEqual({
      version: kill.body.version,
      committedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      connected: 0,
      acked: 0,
      pending: [],
      latencyMs: { p50: null, p99: null, max: null },
      status: "no-instances",
      complete: false,
      audit: kill.body.audit,
      final: true,
      savedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      savedBecause: "no-instances",
    });
  });
});
