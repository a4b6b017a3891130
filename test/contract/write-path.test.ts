/**
 * The one write path, seen from outside: concurrent writers lose nothing and a
 * stale one gets 409; a refused mutation writes nothing at all.
 */
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
  await api("POST", "/v1/flags", { key: t.admin, json: { key: "model.fable-5", kind: "boolean" } });
});
afterAll(() => target.close());

const PATH = "/v1/envs/production/flags/model.fable-5";

interface State {
  version: number;
  auditEntries: number;
  snapshot: unknown;
  auditHead: unknown;
}

async function state(): Promise<State> {
  const snapshot = (await api("GET", "/v1/envs/production/snapshot", { key: t.viewer })).body;
  const verify = (await api("GET", "/v1/audit/verify", { key: t.viewer })).body;
  const head = (await api("GET", "/v1/audit?limit=1", { key: t.viewer })).body.items[0];
  return { version: snapshot.version, auditEntries: verify.entries, snapshot, auditHead: head };
}

describe("two operators writing at once", () => {
  it("with the same If-Match: exactly one 409, and the other's write intact", async () => {
    const { version } = (await api("GET", PATH, { key: t.viewer })).body;
    const before = await state();
    const [first, second] = await Promise.all([
      api("PUT", PATH, {
        key: t.operator,
        headers: { "if-match": String(version) },
        json: { enabled: true, offVariant: "off", rules: [], fallthrough: { variant: "on" }, failMode: "closed", reason: "first" },
      }),
      api("PUT", PATH, {
        key: t.operator,
        headers: { "if-match": String(version) },
        json: { enabled: true, offVariant: "on", rules: [], fallthrough: { variant: "off" }, failMode: "open", reason: "second" },
      }),
    ]);
    expect([first.status, second.status].sort()).toEqual([200, 409]);
    const winner = first.status === 200 ? first : second;
    const after = await state();
    expect(after.version).toBe(before.version + 1);
    expect(after.auditEntries).toBe(before.auditEntries + 1);
    const { version: _v, audit: _audit, ...written } = winner.body;
    expect((await api("GET", PATH, { key: t.viewer })).body).toEqual({ ...written, version: before.version + 1 });
    expect((after.auditHead as { reason: string }).reason).toBe(first.status === 200 ? "first" : "second");
  });

  it("without If-Match: every write lands, none is lost", async () => {
    const before = await state();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        api("POST", `${PATH}/block`, {
          key: t.operator,
          json: { reason: `block ${i}`, when: [{ attribute: "employer", op: "in", values: [`company-${i}`] }] },
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(200));
    const versions = results.map((r) => r.body.version).sort((x, y) => x - y);
    expect(versions).toEqual(Array.from({ length: 12 }, (_, i) => before.version + 1 + i));
    const { rules } = (await api("GET", PATH, { key: t.viewer })).body;
    expect(new Set(rules.map((r: { id: string }) => r.id))).toEqual(new Set(results.map((r) => r.body.ruleId)));
    expect((await api("GET", "/v1/audit/verify", { key: t.viewer })).body).toEqual({ ok: true, entries: before.auditEntries + 12, breaks: [] });
  });
});

describe("a refused mutation", () => {
  const refused: [string, string, string, unknown, Record<string, string>?][] = [
    ["an invalid body", "PUT", PATH, { enabled: "yes" }],
    ["a reference to a missing segment", "POST", `${PATH}/block`, { reason: "r", segment: "nobody" }],
    ["a lower-case country code", "POST", `${PATH}/block`, { reason: "r", when: [{ attribute: "nationality", op: "notIn", values: ["us"] }] }],
    ["a stale If-Match", "POST", `${PATH}/kill`, { reason: "r" }, { "if-match": "0" }],
    ["a missing rule", "DELETE", `${PATH}/rules/ghost`, { reason: "r" }],
    ["a duplicate flag", "POST", "/v1/flags", { key: "model.fable-5", kind: "boolean" }],
    ["a malformed body", "POST", `${PATH}/kill`, undefined],
  ];

  it.each(refused)("(%s) leaves version, change log and audit untouched", async (_name, method, path, json, headers) => {
    const before = await state();
    const res = json === undefined
      ? await api(method, path, { key: t.operator, raw: '{"reason": "r"', headers: { "content-type": "application/json" } })
      : await api(method, path, { key: t.operator, json, headers });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await state()).toEqual(before);
  });
});
