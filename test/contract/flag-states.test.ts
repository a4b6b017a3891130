/**
 * "What is blocked right now, and why": the flag overview of an environment, the
 * blocks list, and the audit log's filters.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { okBody, type Api } from "../support/api.js";
import type { ContractTarget } from "../support/contract-target.js";
import { seedFableAndForeignNationals, startWithTenant } from "../support/contract-tenant.js";
import { createTenant, type TestTenant } from "../support/tenants.js";

let target: ContractTarget;
let api: Api;
let t: TestTenant;
let operatorKeyId: string;
const blocked: { ruleId: string; seq: number } = { ruleId: "", seq: 0 };
let killSeq = 0;

const FLAGS = "/v1/envs/production/flags";

beforeAll(async () => {
  ({ target, api, t } = await startWithTenant());
  await seedFableAndForeignNationals(api, t);
  await okBody(api, t.operator, "POST", "/v1/flags", { key: "model.mythos-5", kind: "boolean" });
  await okBody(api, t.operator, "POST", "/v1/flags", { key: "model.zeta", kind: "boolean" });
  const keys = (await api("GET", "/v1/keys", { key: t.admin })).body.items;
  operatorKeyId = keys.find((k: { name: string }) => k.name === "operator key").id;

  const block = await okBody(api, t.operator, "POST", `${FLAGS}/model.fable-5/block`, {
    reason: "Directive received 17:21",
    directive: "EXPORT-2026-001",
    segment: "foreign-nationals",
  });
  blocked.ruleId = block.ruleId;
  blocked.seq = block.audit.seq;
  // A rule that serves on is no block.
  await okBody(api, t.admin, "PUT", `${FLAGS}/model.zeta`, {
    enabled: true,
    offVariant: "off",
    rules: [{ id: "beta", when: [{ attribute: "employer", op: "in", values: ["acme"] }], serve: { variant: "on" } }],
    fallthrough: { variant: "off" },
    failMode: "closed",
    reason: "beta for acme",
  });
  killSeq = (await okBody(api, t.operator, "POST", `${FLAGS}/model.mythos-5/kill`, { reason: "Scope unclear", directive: "EXPORT-2026-001" })).audit.seq;
  // A later change of the mythos config that keeps it killed: the kill's origin stays the kill.
  await okBody(api, t.operator, "POST", `${FLAGS}/model.mythos-5/block`, {
    reason: "also the staff exception",
    when: [{ attribute: "employer", op: "in", values: ["acme-defense"] }],
  });
});
afterAll(() => target.close());

describe("GET /v1/envs/{env}/flags", () => {
  it("shows every flag's state, each rule in plain words with its segment expanded, its directive and last change", async () => {
    const res = await api("GET", FLAGS, { key: t.viewer });
    expect(res.status).toBe(200);
    const byKey = Object.fromEntries(res.body.items.map((f: { key: string }) => [f.key, f]));
    expect(Object.keys(byKey)).toEqual(["model.fable-5", "model.mythos-5", "model.zeta"]);

    expect(byKey["model.fable-5"]).toEqual({
      key: "model.fable-5",
      kind: "boolean",
      description: null,
      state: "blocked",
      enabled: true,
      offVariant: "off",
      rules: [
        {
          id: blocked.ruleId,
          text: "off for in segment foreign-nationals",
          blocks: true,
          when: [{ segment: ["foreign-nationals"] }],
          serve: { variant: "off" },
          description: "Directive received 17:21",
          directive: "EXPORT-2026-001",
          segments: [{ key: "foreign-nationals", description: null, text: ["nationality not in US"] }],
        },
      ],
      fallthrough: "otherwise on",
      directive: "EXPORT-2026-001",
      version: expect.any(Number),
      lastChange: {
        at: expect.stringMatching(/^\d{4}-/),
        actor: { keyId: operatorKeyId, name: "operator key", role: "operator" },
        action: "flag.block",
        reason: "Directive received 17:21",
        directive: "EXPORT-2026-001",
        audit: { seq: blocked.seq, hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
      },
    });
    expect(byKey["model.mythos-5"]).toMatchObject({
      state: "killed",
      enabled: false,
      directive: "EXPORT-2026-001",
      rules: [{ text: "off for employer in acme-defense", blocks: true, directive: null }],
      lastChange: { action: "flag.block", reason: "also the staff exception" },
    });
    expect(byKey["model.zeta"]).toMatchObject({
      state: "on",
      directive: null,
      rules: [{ id: "beta", text: "on for employer in acme", blocks: false }],
      fallthrough: "otherwise off",
      lastChange: { action: "flag.config", actor: { role: "admin" }, reason: "beta for acme" },
    });
  });

  it("pages by flag key, and refuses a bad query, an unknown environment and another tenant", async () => {
    const first = await api("GET", `${FLAGS}?limit=2`, { key: t.viewer });
    expect(first.body.items.map((f: { key: string }) => f.key)).toEqual(["model.fable-5", "model.mythos-5"]);
    const second = await api("GET", `${FLAGS}?limit=2&cursor=${first.body.nextCursor}`, { key: t.viewer });
    expect(second.body).toEqual({ items: [expect.objectContaining({ key: "model.zeta" })] });
    for (const query of ["limit=0", "cursor=nope", "flag=x"]) expect((await api("GET", `${FLAGS}?${query}`, { key: t.viewer })).status, query).toBe(400);
    expect((await api("GET", "/v1/envs/staging/flags", { key: t.viewer })).status).toBe(404);
    expect((await api("GET", FLAGS, { key: t.sdk })).status).toBe(403);
    const other = await createTenant(target, api);
    expect((await api("GET", FLAGS, { key: other.viewer })).body).toEqual({ items: [] });
    expect((await api("POST", "/v1/envs", { key: t.admin, json: { key: "qa" } })).status).toBe(201);
    expect((await api("GET", "/v1/envs/qa/flags", { key: other.viewer })).status).toBe(404);
  });
});

describe("GET /v1/envs/{env}/blocks", () => {
  it("lists only kills and rules serving offVariant, with directive, since when, by whom and why", async () => {
    const res = await api("GET", "/v1/envs/production/blocks", { key: t.viewer });
    expect(res.status).toBe(200);
    const killEntry = (await api("GET", `/v1/audit?action=flag.kill&flag=model.mythos-5`, { key: t.viewer })).body.items[0];
    expect(res.body.items).toEqual([
      {
        flag: "model.fable-5",
        kind: "rule",
        ruleId: blocked.ruleId,
        text: "off for in segment foreign-nationals",
        directive: "EXPORT-2026-001",
        since: expect.stringMatching(/^\d{4}-/),
        by: { keyId: operatorKeyId, name: "operator key", role: "operator" },
        reason: "Directive received 17:21",
        audit: { seq: blocked.seq, hash: expect.any(String) },
        segments: [{ key: "foreign-nationals", description: null, text: ["nationality not in US"] }],
      },
      {
        flag: "model.mythos-5",
        kind: "kill",
        ruleId: null,
        text: "off for everyone (killed)",
        directive: "EXPORT-2026-001",
        since: killEntry.at,
        by: { keyId: operatorKeyId, name: "operator key", role: "operator" },
        reason: "Scope unclear",
        audit: { seq: killSeq, hash: killEntry.hash },
        segments: [],
      },
      expect.objectContaining({ flag: "model.mythos-5", kind: "rule", text: "off for employer in acme-defense", reason: "also the staff exception", directive: null }),
    ]);

    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api("GET", `/v1/envs/production/blocks?limit=1${cursor ? `&cursor=${cursor}` : ""}`, { key: t.viewer });
      expect(page.body.items).toHaveLength(1);
      paged.push(`${page.body.items[0].flag}/${page.body.items[0].kind}`);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(paged).toEqual(["model.fable-5/rule", "model.mythos-5/kill", "model.mythos-5/rule"]);
    expect((await api("GET", "/v1/envs/production/blocks?cursor=x", { key: t.viewer })).status).toBe(400);
    expect((await api("GET", "/v1/envs/nope/blocks", { key: t.viewer })).status).toBe(404);
  });

  it("drops a block once its rule is removed or the flag restored", async () => {
    const u = await createTenant(target, api);
    await seedFableAndForeignNationals(api, u);
    const { ruleId } = await okBody(api, u.operator, "POST", `${FLAGS}/model.fable-5/block`, { reason: "r", segment: "foreign-nationals" });
    await okBody(api, u.operator, "POST", `${FLAGS}/model.fable-5/kill`, { reason: "k" });
    expect((await api("GET", "/v1/envs/production/blocks", { key: u.viewer })).body.items).toHaveLength(2);
    await okBody(api, u.operator, "POST", `${FLAGS}/model.fable-5/restore`, { reason: "r" });
    await okBody(api, u.operator, "DELETE", `${FLAGS}/model.fable-5/rules/${ruleId}`, { reason: "lifted" });
    expect((await api("GET", "/v1/envs/production/blocks", { key: u.viewer })).body).toEqual({ items: [] });
  });
});

describe("GET /v1/audit filters", () => {
  const actions = async (query: string): Promise<string[]> => {
    const res = await api("GET", `/v1/audit?${query}`, { key: t.viewer });
    expect(res.status, `${query}: ${JSON.stringify(res.body)}`).toBe(200);
    return res.body.items.map((e: { action: string; key: string }) => `${e.action} ${e.key}`);
  };

  it("filters by flag, env, actor (id or name), directive and action, each and together", async () => {
    expect(await actions("flag=model.mythos-5")).toEqual(["flag.block model.mythos-5", "flag.kill model.mythos-5", "flag.create model.mythos-5"]);
    expect(await actions("directive=EXPORT-2026-001")).toEqual(["flag.kill model.mythos-5", "flag.block model.fable-5"]);
    expect(await actions(`actor=${operatorKeyId}&action=flag.block`)).toEqual(["flag.block model.mythos-5", "flag.block model.fable-5"]);
    expect(await actions("actor=operator%20key&action=flag.block&flag=model.fable-5")).toEqual(["flag.block model.fable-5"]);
    expect(await actions("actor=admin&action=flag.block")).toEqual([]);
    expect(await actions("env=qa")).toEqual(["environment.create qa"]);
    expect(await actions("env=production&action=segment.create")).toEqual(["segment.create foreign-nationals"]);
  });

  it("filters by time (since inclusive, until exclusive) and pages within the filter", async () => {
    const all = (await api("GET", "/v1/audit?limit=500", { key: t.viewer })).body.items;
    const kill = all.find((e: { seq: number }) => e.seq === killSeq);
    const since = await api("GET", `/v1/audit?since=${kill.at}&limit=500`, { key: t.viewer });
    expect(since.body.items.every((e: { at: string }) => e.at >= kill.at)).toBe(true);
    expect(since.body.items.map((e: { seq: number }) => e.seq)).toContain(killSeq);
    const until = await api("GET", `/v1/audit?until=${kill.at}&limit=500`, { key: t.viewer });
    expect(until.body.items.every((e: { at: string }) => e.at < kill.at)).toBe(true);
    expect(since.body.items.length + until.body.items.length).toBe(all.length);

    const first = await api("GET", "/v1/audit?directive=EXPORT-2026-001&limit=1", { key: t.viewer });
    expect(first.body.items.map((e: { seq: number }) => e.seq)).toEqual([killSeq]);
    const second = await api("GET", `/v1/audit?directive=EXPORT-2026-001&limit=1&cursor=${first.body.nextCursor}`, { key: t.viewer });
    expect(second.body.items.map((e: { seq: number }) => e.seq)).toEqual([blocked.seq]);
    expect(second.body.nextCursor).toBeUndefined();
  });

  it("refuses bad filter values with 400 and says what to fix", async () => {
    for (const query of [
      "since=yesterday",
      "since=2026-11-27",
      "until=2026-02-30T00:00:00Z",
      "since=2026-11-28T00:00:00Z&until=2026-11-27T00:00:00Z",
      "action=Flag.Kill",
      "flag=has%20space",
      "env=",
      "actor=",
      "directive=",
      "flag=a&flag=b",
      "who=me",
    ]) {
      const res = await api("GET", `/v1/audit?${query}`, { key: t.viewer });
      expect(res.status, query).toBe(400);
      expect(res.body.errors.length, query).toBeGreaterThan(0);
    }
  });
});
