/**
 * Tenant isolation with mirrored names: tenants A and B hold the same environment,
 * flag, segment and attribute names, each with its own content (A's fable flag is
 * killed, B's is blocked for a segment that lists B's user). A read that forgot
 * its tenant would then find the other tenant's row under the very name it
 * asked for, which an "unknown environment" 404 can never show.
 *
 * Both ways: every read route asked by A answers A's content and by B, B's; every
 * write route used by A leaves everything B can read as it was, and the other way
 * round.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiFor, okBody, type Api } from "../support/api.js";
import { startContractTarget, type ContractTarget } from "../support/contract-target.js";
import { createTenant, type TestTenant } from "../support/tenants.js";

type Name = "A" | "B";
const NAMES: Name[] = ["A", "B"];
const other = (x: Name): Name => (x === "A" ? "B" : "A");
const FABLE = "model.fable-5";
const SHARED = "model.shared";
const SEGMENT = "blocked";

let target: ContractTarget;
let api: Api;
const t = {} as Record<Name, TestTenant>;

const ok = (x: Name, method: string, path: string, json?: unknown): Promise<any> => okBody(api, t[x].admin, method, path, json);
const get = (x: Name, path: string, key = t[x].viewer): Promise<any> => okBody(api, key, "GET", path);

/** The same names in each tenant, with content that says whose it is. */
async function seed(x: Name): Promise<void> {
  const reason = `set-up of ${x}`;
  await ok(x, "POST", "/v1/envs", { key: "qa" });
  await ok(x, "POST", "/v1/attributes", { name: "tier", description: `tier of ${x}` });
  for (const key of [FABLE, SHARED]) await ok(x, "POST", "/v1/flags", { key, kind: "boolean", description: `${key} of ${x}` });
  for (const env of ["production", "qa"]) {
    await ok(x, "PUT", `/v1/envs/${env}/segments/${SEGMENT}`, { include: [`${x}-user`], description: `${SEGMENT} of ${x}`, reason });
  }
  if (x === "A") {
    await ok(x, "POST", `/v1/envs/production/flags/${FABLE}/kill`, { reason: `kill of ${x}` });
  } else {
    await ok(x, "POST", `/v1/envs/production/flags/${FABLE}/block`, { segment: SEGMENT, reason: `block of ${x}` });
    // One more version than A, so that the two production versions differ.
    await ok(x, "POST", `/v1/envs/production/flags/${SHARED}/kill`, { reason: `kill of ${x}` });
    await ok(x, "POST", `/v1/envs/production/flags/${SHARED}/restore`, { reason: `restore of ${x}` });
  }
}

beforeAll(async () => {
  target = await startContractTarget();
  api = apiFor(target);
  for (const x of NAMES) t[x] = await createTenant(target, api, `mirror ${x}`);
  for (const x of NAMES) await seed(x);
});

afterAll(() => target.close());

/** What the seed gave each tenant's production snapshot. */
function expectSeededSnapshot(x: Name, snap: any): void {
  expect(Object.keys(snap.flags).sort()).toEqual([FABLE, SHARED]);
  expect(Object.keys(snap.segments)).toEqual([SEGMENT]);
  expect(snap.segments[SEGMENT]).toMatchObject({ include: [`${x}-user`] });
  if (x === "A") expect(snap.flags[FABLE]).toMatchObject({ enabled: false, rules: [] });
  else expect(snap.flags[FABLE]).toMatchObject({ enabled: true, rules: [{ when: [{ segment: [SEGMENT] }], serve: { variant: "off" } }] });
}

describe.each(NAMES)("every read route asked by tenant %s answers its own content", (x) => {
  it("GET /v1/flags and /v1/flags/{key}", async () => {
    const list = await get(x, "/v1/flags");
    expect(list.items.map((f: any) => [f.key, f.description])).toEqual([
      [FABLE, `${FABLE} of ${x}`],
      [SHARED, `${SHARED} of ${x}`],
    ]);
    expect(await get(x, `/v1/flags/${FABLE}`)).toMatchObject({ key: FABLE, description: `${FABLE} of ${x}` });
  });

  it("GET /v1/envs/{env}/flags/{key}", async () => {
    const config = await get(x, `/v1/envs/production/flags/${FABLE}`);
    expect(config.enabled).toBe(x === "B");
    expect(config.rules).toHaveLength(x === "B" ? 1 : 0);
    expect(await get(x, `/v1/envs/qa/flags/${FABLE}`)).toMatchObject({ enabled: true, rules: [] });
  });

  it("GET /v1/envs/{env}/segments and /segments/{key}, in each environment", async () => {
    for (const env of ["production", "qa"]) {
      const list = await get(x, `/v1/envs/${env}/segments`);
      expect(list.items.map((s: any) => [s.key, s.include, s.description])).toEqual([[SEGMENT, [`${x}-user`], `${SEGMENT} of ${x}`]]);
      expect(await get(x, `/v1/envs/${env}/segments/${SEGMENT}`)).toMatchObject({ include: [`${x}-user`], description: `${SEGMENT} of ${x}` });
    }
  });

  it("GET /v1/attributes and /v1/attributes/{name}", async () => {
    const own = (await get(x, "/v1/attributes")).items.filter((a: any) => !a.builtIn);
    expect(own.map((a: any) => [a.name, a.description])).toEqual([["tier", `tier of ${x}`]]);
    expect(await get(x, "/v1/attributes/tier")).toMatchObject({ description: `tier of ${x}` });
  });

  it("GET /v1/envs/{env}/snapshot, /v1/snapshot (sdk key) and /v1/envs", async () => {
    const snap = await get(x, "/v1/envs/production/snapshot");
    expectSeededSnapshot(x, snap);
    expect(await get(x, "/v1/snapshot", t[x].sdk)).toEqual(snap);
    const envs = (await get(x, "/v1/envs")).items;
    expect(envs.map((e: any) => e.key)).toEqual(["production", "qa"]);
    expect(envs.find((e: any) => e.key === "production").version).toBe(snap.version);
    const theirs = await get(other(x), "/v1/envs/production/snapshot");
    expect(theirs.version).not.toBe(snap.version); // the versions tell the two tenants apart
  });

  it("GET /v1/audit, /v1/audit/head and /v1/audit/verify", async () => {
    const entries = (await get(x, "/v1/audit?limit=500")).items;
    const reasons = entries.map((e: any) => e.reason).filter((r: unknown) => r !== null);
    expect(reasons.length).toBeGreaterThan(0);
    for (const reason of reasons) expect(reason).toMatch(new RegExp(` of ${x}$`));
    const head = await get(x, "/v1/audit/head");
    expect(head.seq).toBe(Math.max(...entries.map((e: any) => e.seq)));
    expect(entries.find((e: any) => e.seq === head.seq).hash).toBe(head.hash);
    expect(await get(x, "/v1/audit/verify")).toMatchObject({ ok: true });
  });

  it("GET /v1/keys", async () => {
    const ids = (await get(x, "/v1/keys", t[x].admin)).items.map((k: any) => k.id);
    const theirs = (await get(other(x), "/v1/keys", t[other(x)].admin)).items.map((k: any) => k.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.filter((id: string) => theirs.includes(id))).toEqual([]);
  });

  it("POST /v1/envs/{env}/evaluate and OFREP, single and bulk", async () => {
    // A's flag is killed for everyone; B's blocks B's user only.
    const expected = (user: string) => (x === "A" ? { value: false, reason: "DISABLED" } : user === "B-user" ? { value: false, reason: "TARGETING_MATCH" } : { value: true });
    for (const user of ["A-user", "B-user"]) {
      const explained = await okBody(api, t[x].viewer, "POST", "/v1/envs/production/evaluate", { context: { key: user }, flags: [FABLE] });
      expect(explained.flags[0].result).toMatchObject(expected(user));
      const single = await okBody(api, t[x].sdk, "POST", `/ofrep/v1/evaluate/flags/${FABLE}`, { context: { targetingKey: user } });
      expect(single).toMatchObject(expected(user));
      const bulk = await okBody(api, t[x].sdk, "POST", "/ofrep/v1/evaluate/flags", { context: { targetingKey: user } });
      expect(bulk.flags.find((f: any) => f.key === FABLE)).toMatchObject(expected(user));
    }
  });

  it("GET /v1/envs/{env}/changes/{version}: the receipt names its own tenant's audit entry", async () => {
    const version = (await get(x, "/v1/envs/production/snapshot")).version;
    const receipt = await get(x, `/v1/envs/production/changes/${version}`);
    const entries = (await get(x, "/v1/audit?limit=500")).items;
    expect(entries.find((e: any) => e.seq === receipt.audit.seq).hash).toBe(receipt.audit.hash);
  });
});

/** Everything a tenant can read, to compare before and after the other tenant writes. */
async function everything(x: Name): Promise<unknown> {
  return {
    production: await get(x, "/v1/envs/production/snapshot"),
    qa: await get(x, "/v1/envs/qa/snapshot"),
    flags: await get(x, "/v1/flags"),
    configs: [await get(x, `/v1/envs/qa/flags/${FABLE}`), await get(x, `/v1/envs/qa/flags/${SHARED}`)],
    segments: await get(x, "/v1/envs/qa/segments"),
    attributes: await get(x, "/v1/attributes"),
    envs: await get(x, "/v1/envs"),
    keys: await get(x, "/v1/keys", t[x].admin),
    audit: await get(x, "/v1/audit/head"),
  };
}

describe.each(NAMES)("every write route used by tenant %s leaves the other tenant's same names alone", (x) => {
  it("flags, configs, kills, blocks, rules, segments, attributes, environments and keys", async () => {
    const y = other(x);
    const before = await everything(y);
    const reason = `write of ${x}`;

    await ok(x, "PATCH", `/v1/flags/${SHARED}`, { description: `patched by ${x}`, tags: [x] });
    await ok(x, "PUT", `/v1/envs/qa/flags/${SHARED}`, { enabled: false, offVariant: "off", rules: [], fallthrough: { variant: "on" }, failMode: "closed", reason });
    await ok(x, "POST", `/v1/envs/qa/flags/${FABLE}/kill`, { reason });
    await ok(x, "POST", `/v1/envs/qa/flags/${FABLE}/restore`, { reason });
    const { ruleId } = await ok(x, "POST", `/v1/envs/qa/flags/${FABLE}/block`, { segment: SEGMENT, reason });
    await ok(x, "DELETE", `/v1/envs/qa/flags/${FABLE}/rules/${ruleId}`, { reason });
    await ok(x, "POST", `/v1/envs/qa/flags/${FABLE}/block`, { segment: SEGMENT, reason });
    await ok(x, "PUT", `/v1/envs/qa/segments/${SEGMENT}`, { include: [`${x}-other`], reason });
    await ok(x, "PUT", "/v1/envs/qa/segments/temporary", { include: [`${x}-user`], reason });
    await ok(x, "DELETE", "/v1/envs/qa/segments/temporary", { reason });
    await ok(x, "PUT", "/v1/attributes/tier", { type: "string", description: `changed by ${x}` });
    await ok(x, "POST", "/v1/attributes", { name: "temporary" });
    await ok(x, "DELETE", "/v1/attributes/temporary", { reason });
    await ok(x, "POST", "/v1/flags", { key: "model.temporary", kind: "boolean" });
    await ok(x, "DELETE", "/v1/flags/model.temporary", { reason });
    await ok(x, "POST", "/v1/envs", { key: `staging-${x.toLowerCase()}` });
    const created = await ok(x, "POST", "/v1/keys", { name: "temporary", role: "viewer" });
    await ok(x, "DELETE", `/v1/keys/${created.key.id}`, { reason });

    expect(await everything(y)).toEqual(before);
    // …and the writer's own state moved.
    const qa = await get(x, "/v1/envs/qa/snapshot");
    expect(qa.segments[SEGMENT]).toMatchObject({ include: [`${x}-other`] });
    expect(qa.flags[FABLE].rules).toEqual([expect.objectContaining({ when: [{ segment: [SEGMENT] }] })]);
    expect(qa.flags[SHARED]).toMatchObject({ enabled: false });
    expect(await get(x, `/v1/flags/${SHARED}`)).toMatchObject({ description: `patched by ${x}`, tags: [x] });
    expect(await get(x, "/v1/attributes/tier")).toMatchObject({ type: "string", description: `changed by ${x}` });
  });
});
