/**
 * Scheduled changes on both hosts: `at` (202 and an entry applied when due),
 * `until` (a kill or block that lifts itself, seen by an SDK client), the
 * schedule list, cancelling, skipping what can no longer apply, a restart
 * across the due time (applied at start, `late`), audit entries, bad input and
 * roles.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeClients, trackedClient } from "../e2e/support/sdk-clients.js";
import { sleep, waitFor } from "../e2e/support/wait-for.js";
import { okBody } from "../support/api.js";
import { seedFableAndForeignNationals, startWithTenant, type ContractTenant } from "../support/contract-tenant.js";
import { createTenant, type TestTenant } from "../support/tenants.js";

let c: ContractTenant;
let other: TestTenant;
let flagCounter = 0;

beforeAll(async () => {
  c = await startWithTenant();
  await seedFableAndForeignNationals(c.api, c.t);
  other = await createTenant(c.target, c.api, "other tenant");
});

afterAll(async () => {
  await closeClients();
  await c?.target.close();
});

const inMs = (ms: number): string => new Date(Date.now() + ms).toISOString();

async function newFlag(): Promise<string> {
  const key = `model.sched-${++flagCounter}`;
  await okBody(c.api, c.t.admin, "POST", "/v1/flags", { key, kind: "boolean" });
  return key;
}

const config = (flag: string) => okBody(c.api, c.t.viewer, "GET", `/v1/envs/production/flags/${flag}`);
const entry = (id: string) => okBody(c.api, c.t.viewer, "GET", `/v1/schedule/${id}`);

async function settled(id: string, timeoutMs = 15_000): Promise<any> {
  let last: any;
  await waitFor(
    async () => (last = await entry(id)).status !== "pending",
    timeoutMs,
    () => `schedule ${id} to be applied or skipped (now ${JSON.stringify(last)})`,
    100,
  );
  return last;
}

describe("at", () => {
  it("schedules a kill (202 and the entry), lists it as due, and applies it once due, audited as the scheduler", async () => {
    const flag = await newFlag();
    const at = inMs(1_500);
    const res = await c.api("POST", `/v1/envs/production/flags/${flag}/kill`, {
      key: c.t.operator,
      json: { reason: "Directive from Friday", directive: "EXPORT-2026-002", at },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.schedule).toMatchObject({
      id: expect.stringMatching(/^sch_/),
      env: "production",
      flag,
      action: "kill",
      at: new Date(at).toISOString(),
      origin: "at",
      status: "pending",
      reason: "Directive from Friday",
      directive: "EXPORT-2026-002",
      createdBy: { keyId: expect.stringMatching(/^key_/), name: "operator key" },
    });
    expect(res.body.audit).toEqual({ seq: expect.any(Number), hash: expect.any(String) });
    expect((await config(flag)).enabled).toBe(true);

    const listed = await okBody(c.api, c.t.viewer, "GET", "/v1/envs/production/schedule");
    expect(listed.items.map((e: any) => e.id)).toContain(res.body.schedule.id);

    const done = await settled(res.body.schedule.id);
    expect(done).toMatchObject({ status: "applied", version: expect.any(Number), auditSeq: expect.any(Number) });
    expect(Date.parse(done.appliedAt)).toBeGreaterThanOrEqual(Date.parse(at));
    expect((await config(flag)).enabled).toBe(false);

    const audit = await okBody(c.api, c.t.viewer, "GET", "/v1/audit?limit=20");
    const applied = audit.items.find((e: any) => e.seq === done.auditSeq);
    expect(applied).toMatchObject({
      action: "flag.kill",
      key: flag,
      actor: { keyId: res.body.schedule.createdBy.keyId, name: "scheduler", role: "scheduler" },
      reason: "Directive from Friday",
      directive: "EXPORT-2026-002",
    });
    expect(audit.items.find((e: any) => e.action === "schedule.create" && e.key === res.body.schedule.id)).toBeDefined();
    expect((await okBody(c.api, c.t.viewer, "GET", "/v1/envs/production/schedule")).items.map((e: any) => e.id)).not.toContain(res.body.schedule.id);
  });

  it("schedules a block, a restore and a rule removal the same way", async () => {
    const flag = await newFlag();
    await okBody(c.api, c.t.operator, "POST", `/v1/envs/production/flags/${flag}/kill`, { reason: "set-up" });
    const { ruleId } = await okBody(c.api, c.t.operator, "POST", `/v1/envs/production/flags/${flag}/block`, {
      reason: "set-up",
      when: [{ attribute: "employer", op: "in", values: ["acme"] }],
    });
    const at = inMs(1_500);
    const post = (path: string, json: unknown, method = "POST") => c.api(method, `/v1/envs/production/flags/${flag}${path}`, { key: c.t.operator, json });
    const block = await post("/block", { reason: "later block", segment: "foreign-nationals", at });
    const restore = await post("/restore", { reason: "later restore", at });
    const removal = await post(`/rules/${ruleId}`, { reason: "later removal", at }, "DELETE");
    for (const res of [block, restore, removal]) expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(block.body.schedule).toMatchObject({ action: "block", block: { segment: "foreign-nationals" } });
    expect(removal.body.schedule).toMatchObject({ action: "rule.remove", ruleId });

    for (const res of [block, restore, removal]) expect((await settled(res.body.schedule.id)).status).toBe("applied");
    const after = await config(flag);
    expect(after.enabled).toBe(true);
    expect(after.rules.map((r: any) => r.id)).not.toContain(ruleId);
    expect(after.rules).toEqual([expect.objectContaining({ when: [{ segment: ["foreign-nationals"] }], description: "later block" })]);
  });

  it("records a change that can no longer apply as skipped, with the cause, audited, and moves nothing", async () => {
    const flag = await newFlag();
    const { ruleId } = await okBody(c.api, c.t.operator, "POST", `/v1/envs/production/flags/${flag}/block`, {
      reason: "set-up",
      when: [{ attribute: "employer", op: "in", values: ["acme"] }],
    });
    const scheduled = await c.api("DELETE", `/v1/envs/production/flags/${flag}/rules/${ruleId}`, {
      key: c.t.operator,
      json: { reason: "lift later", at: inMs(1_500) },
    });
    expect(scheduled.status).toBe(202);
    await okBody(c.api, c.t.operator, "DELETE", `/v1/envs/production/flags/${flag}/rules/${ruleId}`, { reason: "lifted by hand" });
    const version = (await config(flag)).version;

    const done = await settled(scheduled.body.schedule.id);
    expect(done).toMatchObject({ status: "skipped", cause: expect.stringContaining(ruleId), auditSeq: expect.any(Number) });
    expect((await config(flag)).version).toBe(version);
    const audit = await okBody(c.api, c.t.viewer, "GET", "/v1/audit?limit=5");
    expect(audit.items.find((e: any) => e.seq === done.auditSeq)).toMatchObject({
      action: "schedule.skip",
      entity: "schedule",
      key: done.id,
      actor: { name: "scheduler", role: "scheduler" },
      reason: "lift later",
    });
    // Recorded once: still skipped a moment later, with the same audit entry.
    await sleep(1_500);
    expect(await entry(done.id)).toEqual(done);
  });

  it("cancels a pending entry with a reason (200, audited), and refuses to cancel it twice (409)", async () => {
    const flag = await newFlag();
    const res = await c.api("POST", `/v1/envs/production/flags/${flag}/kill`, { key: c.t.operator, json: { reason: "later", at: inMs(60_000) } });
    const id = res.body.schedule.id;
    const noReason = await c.api("DELETE", `/v1/schedule/${id}`, { key: c.t.operator, json: {} });
    expect(noReason.status).toBe(400);
    expect(noReason.body.errors[0].path).toBe("reason");
    const cancelled = await c.api("DELETE", `/v1/schedule/${id}`, { key: c.t.operator, json: { reason: "directive withdrawn" } });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body).toMatchObject({ id, status: "cancelled", cause: "directive withdrawn", cancelledAt: expect.any(String), audit: expect.any(Object) });
    const again = await c.api("DELETE", `/v1/schedule/${id}`, { key: c.t.operator, json: { reason: "again" } });
    expect(again.status).toBe(409);
    const all = await okBody(c.api, c.t.viewer, "GET", "/v1/envs/production/schedule?status=cancelled");
    expect(all.items.map((e: any) => e.id)).toContain(id);
  });
});

describe("until", () => {
  it("lifts a block 2 s ahead by itself, and an SDK client sees the block and then its lift", async () => {
    const flag = await newFlag();
    const client = trackedClient({ url: c.target.baseUrl, sdkKey: c.t.sdk, app: "schedule-test", reconnectDelayMs: 100 });
    expect(await client.client.ready({ timeoutMs: 20_000 })).toBe("ready");
    const foreigner = { key: "u-fr", nationality: "FR" };
    await waitFor(() => client.client.isEnabled(flag, foreigner, false) === true, 10_000, "the client to know the flag");

    const until = inMs(2_000);
    const res = await c.api("POST", `/v1/envs/production/flags/${flag}/block`, {
      key: c.t.operator,
      json: { reason: "temporary embargo", segment: "foreign-nationals", until },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      version: expect.any(Number),
      ruleId: expect.any(String),
      schedule: { action: "rule.remove", origin: "until", ruleId: res.body.ruleId, at: new Date(until).toISOString(), status: "pending" },
    });
    await waitFor(() => client.client.isEnabled(flag, foreigner, true) === false, 10_000, "the client to apply the block");

    // Within 3 s of the request (1 s after the due time), with room for a loaded machine's client.
    await waitFor(() => client.client.isEnabled(flag, foreigner, false) === true, 3_000 + 5_000, "the client to see the lift");
    const done = await entry(res.body.schedule.id);
    // Applied within a second of its time, by the server's own clock (late says when it was not).
    expect(done).toMatchObject({ status: "applied", late: false });
    expect((await config(flag)).rules).toEqual([]);
  });

  it("restores a kill by itself; a restore by hand in between makes the lift skip", async () => {
    const lifted = await newFlag();
    const res = await c.api("POST", `/v1/envs/production/flags/${lifted}/kill`, { key: c.t.operator, json: { reason: "for a moment", until: inMs(1_500) } });
    expect(res.status).toBe(200);
    expect(res.body.schedule).toMatchObject({ action: "restore", origin: "until" });
    expect((await config(lifted)).enabled).toBe(false);
    expect((await settled(res.body.schedule.id)).status).toBe("applied");
    expect((await config(lifted)).enabled).toBe(true);

    const rekilled = await newFlag();
    const first = await okBody(c.api, c.t.operator, "POST", `/v1/envs/production/flags/${rekilled}/kill`, { reason: "first", until: inMs(2_000) });
    await okBody(c.api, c.t.operator, "POST", `/v1/envs/production/flags/${rekilled}/restore`, { reason: "by hand" });
    await okBody(c.api, c.t.operator, "POST", `/v1/envs/production/flags/${rekilled}/kill`, { reason: "someone else's kill" });
    const done = await settled(first.schedule.id);
    expect(done).toMatchObject({ status: "skipped", cause: expect.stringContaining("killed again") });
    expect((await config(rekilled)).enabled).toBe(false);
  });

  it("applies at start, late, what fell due while the server was down", async () => {
    if (!c.target.restart) throw new Error("the contract target restarts");
    const flag = await newFlag();
    const at = inMs(1_500);
    const res = await c.api("POST", `/v1/envs/production/flags/${flag}/kill`, { key: c.t.operator, json: { reason: "over the restart", at } });
    expect(res.status).toBe(202);
    await c.target.restart(async () => {
      const wait = Date.parse(at) + 2_000 - Date.now();
      if (wait > 0) await sleep(wait);
    });
    const done = await settled(res.body.schedule.id, 30_000);
    expect(done).toMatchObject({ status: "applied", late: true });
    expect(Date.parse(done.appliedAt) - Date.parse(at)).toBeGreaterThan(1_000);
    expect((await config(flag)).enabled).toBe(false);
  });
});

describe("bad input and roles", () => {
  const kill = (json: unknown, key = c.t.operator) => c.api("POST", "/v1/envs/production/flags/model.fable-5/kill", { key, json });

  // Instants are made when each case runs: the cases before may take a while.
  it.each([
    ["until in the past", () => ({ reason: "r", until: inMs(-60_000) }), "until", /future/],
    ["until more than a year ahead", () => ({ reason: "r", until: inMs(400 * 86_400_000) }), "until", /year/],
    ["at in the past", () => ({ reason: "r", at: inMs(-1_000) }), "at", /future/],
    ["until before at", () => ({ reason: "r", at: inMs(60_000), until: inMs(30_000) }), "until", /after at/],
    ["an instant without a time zone", () => ({ reason: "r", at: "2026-12-24T17:00:00" }), "at", /time zone/],
    ["a date that does not exist", () => ({ reason: "r", until: "2027-02-30T00:00:00Z" }), "until", /ISO 8601/],
    ["a number", () => ({ reason: "r", until: 1_800_000_000_000 }), "until", /./],
  ])("refuses %s (400, nothing written)", async (_name, json, path, message) => {
    const before = await okBody(c.api, c.t.viewer, "GET", "/v1/audit/head");
    const res = await kill(json());
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ path, message: expect.stringMatching(message) });
    expect(await okBody(c.api, c.t.viewer, "GET", "/v1/audit/head")).toEqual(before);
  });

  it("checks a scheduled block through the compile gate and references at scheduling time", async () => {
    const res = await c.api("POST", "/v1/envs/production/flags/model.fable-5/block", {
      key: c.t.operator,
      json: { reason: "r", segment: "no-such-segment", at: inMs(60_000) },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe("segment[0]");
    const undeclared = await c.api("POST", "/v1/envs/production/flags/model.fable-5/block", {
      key: c.t.operator,
      json: { reason: "r", when: [{ attribute: "nationalty", op: "in", values: ["FR"] }], at: inMs(60_000) },
    });
    expect(undeclared.status).toBe(400);
    expect(undeclared.body.errors[0].path).toMatch(/^when\[0\]/);
  });

  it("needs the operator role to schedule and cancel, the viewer role to read; another tenant sees nothing", async () => {
    expect((await kill({ reason: "r", at: inMs(60_000) }, c.t.viewer)).status).toBe(403);
    const res = await kill({ reason: "r", at: inMs(60_000) });
    const id = res.body.schedule.id;
    expect((await c.api("GET", `/v1/schedule/${id}`, { key: other.admin })).status).toBe(404);
    expect((await c.api("DELETE", `/v1/schedule/${id}`, { key: other.admin, json: { reason: "x" } })).status).toBe(404);
    expect((await c.api("DELETE", `/v1/schedule/${id}`, { key: c.t.viewer, json: { reason: "x" } })).status).toBe(403);
    expect((await c.api("GET", "/v1/envs/production/schedule?status=later", { key: c.t.viewer })).status).toBe(400);
    expect((await c.api("GET", "/v1/envs/nowhere/schedule", { key: c.t.viewer })).status).toBe(404);
    expect((await c.api("GET", "/v1/schedule/sch_nope", { key: c.t.viewer })).status).toBe(404);
    await okBody(c.api, c.t.operator, "DELETE", `/v1/schedule/${id}`, { reason: "clean up" });
  });
});
