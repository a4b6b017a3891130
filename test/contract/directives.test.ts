/**
 * Directives as records: recorded by operators, linked by the writes that carry
 * their ref, lifted, deleted by admins; refs that changes carry without a
 * record are listed as `unrecorded`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { okBody, type Api } from "../support/api.js";
import type { ContractTarget } from "../support/contract-target.js";
import { startWithTenant } from "../support/contract-tenant.js";
import { createTenant, type TestTenant } from "../support/tenants.js";

let target: ContractTarget;
let api: Api;
let t: TestTenant;

beforeAll(async () => {
  ({ target, api, t } = await startWithTenant());
  await okBody(api, t.operator, "POST", "/v1/flags", { key: "model.fable-5", kind: "boolean" });
});
afterAll(() => target.close());

const record = (ref: string, extra: Record<string, unknown> = {}) =>
  api("POST", "/v1/directives", {
    key: t.operator,
    json: { ref, title: `Order ${ref}`, receivedAt: "2026-11-27T17:21:00Z", ...extra },
  });
const path = (ref: string) => `/v1/directives/${encodeURIComponent(ref)}`;

describe("recording a directive", () => {
  it("answers 201 with the record, open until a change carries its ref, and audits it", async () => {
    const res = await record("EXPORT-2026-001", {
      issuer: "Department of Commerce",
      deadline: "2026-11-28T09:00:00+01:00",
      summary: "No foreign national may use Fable 5 or Mythos 5.",
      reason: "received by e-mail",
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toEqual({
      ref: "EXPORT-2026-001",
      status: "open",
      title: "Order EXPORT-2026-001",
      issuer: "Department of Commerce",
      receivedAt: "2026-11-27T17:21:00.000Z",
      deadline: "2026-11-28T08:00:00.000Z",
      summary: "No foreign national may use Fable 5 or Mythos 5.",
      createdAt: expect.stringMatching(/^\d{4}-/),
      updatedAt: expect.stringMatching(/^\d{4}-/),
      changes: 0,
      inEffectSince: null,
      lastChangeAt: null,
      lifted: null,
      audit: { seq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    const [entry] = (await api("GET", "/v1/audit?limit=1", { key: t.viewer })).body.items;
    expect(entry).toMatchObject({
      seq: res.body.audit.seq,
      action: "directive.create",
      entity: "directive",
      key: "EXPORT-2026-001",
      directive: "EXPORT-2026-001",
      reason: "received by e-mail",
      actor: { name: "operator key", role: "operator" },
      before: null,
      after: expect.objectContaining({ ref: "EXPORT-2026-001", title: "Order EXPORT-2026-001" }),
    });
    expect((await api("GET", path("EXPORT-2026-001"), { key: t.viewer })).body.status).toBe("open");
  });

  it("refuses a second record of the same ref (409), bad input (400), and keys that are not operators (403)", async () => {
    expect((await record("DUP-1")).status).toBe(201);
    const dup = await record("DUP-1");
    expect(dup.status).toBe(409);
    expect(dup.body.type).toBe("https://killswitch.dev/problems/conflict");

    const bad: [Record<string, unknown>, string][] = [
      [{ ref: "X-1", receivedAt: "2026-11-27T17:21:00Z" }, "title"],
      [{ ref: "X-1", title: "t", receivedAt: "yesterday" }, "receivedAt"],
      [{ ref: "X-1", title: "t", receivedAt: "2026-11-27T17:21:00" }, "receivedAt"],
      [{ ref: "X-1", title: "t", receivedAt: "2026-11-27T17:21:00Z", deadline: 5 }, "deadline"],
      [{ ref: "", title: "t", receivedAt: "2026-11-27T17:21:00Z" }, "ref"],
      [{ ref: "X-1", title: "t", receivedAt: "2026-11-27T17:21:00Z", status: "lifted" }, "status"],
      [{ ref: "X".repeat(201), title: "t", receivedAt: "2026-11-27T17:21:00Z" }, "ref"],
    ];
    for (const [json, field] of bad) {
      const res = await api("POST", "/v1/directives", { key: t.operator, json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(res.body.errors.map((e: { path: string }) => e.path), JSON.stringify(res.body)).toContain(field);
    }
    expect((await api("POST", "/v1/directives", { key: t.operator, raw: "{", headers: { "content-type": "application/json" } })).status).toBe(400);
    expect((await api("POST", "/v1/directives", { key: t.viewer, json: { ref: "V-1", title: "t", receivedAt: "2026-11-27T17:21:00Z" } })).status).toBe(403);
    expect((await api("POST", "/v1/directives", { key: t.revoked, json: { ref: "V-1", title: "t", receivedAt: "2026-11-27T17:21:00Z" } })).status).toBe(401);
    expect((await api("GET", path("V-1"), { key: t.viewer })).status).toBe(404);
  });
});

describe("status: open, in effect, lifted", () => {
  it("moves to in-effect when a change carries the ref, and to lifted on lift; a second lift is a conflict", async () => {
    await record("EXPORT-2026-002");
    const blocked = await okBody(api, t.operator, "POST", "/v1/envs/production/flags/model.fable-5/block", {
      reason: "directive received 17:21",
      directive: "EXPORT-2026-002",
      when: [{ attribute: "nationality", op: "notIn", values: ["US"] }],
    });
    const inEffect = (await api("GET", path("EXPORT-2026-002"), { key: t.viewer })).body;
    expect(inEffect).toMatchObject({ status: "in-effect", changes: 1, lifted: null });
    const [entry] = (await api("GET", "/v1/audit?limit=1", { key: t.viewer })).body.items;
    expect(inEffect.inEffectSince).toBe(entry.at);
    expect(entry.seq).toBe(blocked.audit.seq);

    expect((await api("POST", `${path("EXPORT-2026-002")}/lift`, { key: t.operator, json: {} })).status).toBe(400);
    expect((await api("POST", `${path("EXPORT-2026-002")}/lift`, { key: t.viewer, json: { reason: "x" } })).status).toBe(403);
    const lifted = await api("POST", `${path("EXPORT-2026-002")}/lift`, { key: t.operator, json: { reason: "Directive withdrawn" } });
    expect(lifted.status).toBe(200);
    expect(lifted.body).toMatchObject({
      status: "lifted",
      changes: 1,
      lifted: { at: expect.stringMatching(/^\d{4}-/), reason: "Directive withdrawn", by: "operator key" },
      audit: { seq: entry.seq + 1 },
    });
    // The block stays until its rule is removed: lifting is a record, not a change of what SDKs serve.
    const config = (await api("GET", "/v1/envs/production/flags/model.fable-5", { key: t.viewer })).body;
    expect(config.rules.map((r: { id: string }) => r.id)).toContain(blocked.ruleId);
    const again = await api("POST", `${path("EXPORT-2026-002")}/lift`, { key: t.operator, json: { reason: "again" } });
    expect(again.status).toBe(409);
  });

  it("lists a ref that changes carry without a record as unrecorded, and reads it; edits need a record (404)", async () => {
    const ref = "FREE text ref/7";
    await okBody(api, t.operator, "POST", "/v1/envs/production/flags/model.fable-5/kill", { reason: "call from legal", directive: ref });
    const one = await api("GET", path(ref), { key: t.viewer });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ ref, status: "unrecorded", title: null, changes: 1, lifted: null });
    const listed = (await api("GET", "/v1/directives?status=unrecorded", { key: t.viewer })).body.items;
    expect(listed.map((d: { ref: string }) => d.ref)).toContain(ref);
    expect(listed.every((d: { status: string }) => d.status === "unrecorded")).toBe(true);
    expect((await api("PATCH", path(ref), { key: t.operator, json: { title: "x" } })).status).toBe(404);
    expect((await api("POST", `${path(ref)}/lift`, { key: t.operator, json: { reason: "x" } })).status).toBe(404);

    // Recorded later, it is in effect at once: a change already carries it.
    const recorded = await api("POST", "/v1/directives", { key: t.operator, json: { ref, title: "Legal's call", receivedAt: "2026-11-27T18:00:00Z" } });
    expect(recorded.status).toBe(201);
    expect(recorded.body).toMatchObject({ status: "in-effect", changes: 1 });
    await okBody(api, t.operator, "POST", "/v1/envs/production/flags/model.fable-5/restore", { reason: "clarified" });
  });
});

describe("editing and deleting", () => {
  it("patches fields (null clears), refuses an empty patch, and audits before and after", async () => {
    await record("EDIT-1", { issuer: "Someone", summary: "s" });
    const res = await api("PATCH", path("EDIT-1"), { key: t.operator, json: { title: "New title", issuer: null, deadline: "2026-12-01T00:00:00Z" } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ title: "New title", issuer: null, summary: "s", deadline: "2026-12-01T00:00:00.000Z", status: "open" });
    const [entry] = (await api("GET", "/v1/audit?limit=1", { key: t.viewer })).body.items;
    expect(entry).toMatchObject({ action: "directive.update", before: { issuer: "Someone" }, after: { issuer: null, title: "New title" } });
    expect((await api("PATCH", path("EDIT-1"), { key: t.operator, json: {} })).status).toBe(400);
    expect((await api("PATCH", path("EDIT-1"), { key: t.operator, json: { title: "" } })).status).toBe(400);
    expect((await api("PATCH", path("EDIT-1"), { key: t.viewer, json: { title: "x" } })).status).toBe(403);
    expect((await api("PATCH", path("NOPE-1"), { key: t.operator, json: { title: "x" } })).status).toBe(404);
  });

  it("lets only an admin delete a record, with a reason; a ref changes still carry is then unrecorded", async () => {
    await record("DEL-1");
    await okBody(api, t.operator, "POST", "/v1/envs/production/flags/model.fable-5/restore", { reason: "no-op restore", directive: "DEL-1" });
    expect((await api("DELETE", path("DEL-1"), { key: t.operator, json: { reason: "typo" } })).status).toBe(403);
    expect((await api("DELETE", path("DEL-1"), { key: t.admin })).status).toBe(400);
    const gone = await api("DELETE", path("DEL-1"), { key: t.admin, json: { reason: "recorded twice" } });
    expect(gone.status).toBe(204);
    expect(gone.headers.get("killswitch-audit-seq")).toMatch(/^\d+$/);
    expect((await api("GET", path("DEL-1"), { key: t.viewer })).body).toMatchObject({ status: "unrecorded", changes: 1 });
    expect((await api("DELETE", path("DEL-1"), { key: t.admin, json: { reason: "again" } })).status).toBe(404);
  });
});

describe("the list", () => {
  it("filters by status, pages by ref, and parses its query strictly", async () => {
    for (const ref of ["PAGE-a", "PAGE-b", "PAGE-c"]) await record(ref);
    const all: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await api("GET", `/v1/directives?status=open&limit=2${cursor ? `&cursor=${cursor}` : ""}`, { key: t.viewer });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      for (const item of res.body.items) {
        expect(item.status).toBe("open");
        all.push(item.ref);
      }
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(all).toEqual([...all].sort());
    expect(all).toEqual(expect.arrayContaining(["PAGE-a", "PAGE-b", "PAGE-c", "EDIT-1"]));
    expect(all).not.toContain("EXPORT-2026-002");
    const lifted = (await api("GET", "/v1/directives?status=lifted", { key: t.viewer })).body.items;
    expect(lifted.map((d: { ref: string }) => d.ref)).toEqual(["EXPORT-2026-002"]);
    const everything = (await api("GET", "/v1/directives?limit=500", { key: t.viewer })).body.items.map((d: { ref: string }) => d.ref);
    expect(everything).toEqual(expect.arrayContaining(["EXPORT-2026-002", "FREE text ref/7", "PAGE-a", "DEL-1"]));

    for (const query of ["status=closed", "limit=0", "cursor=abc", "bogus=1", "status=open&status=lifted"]) {
      const res = await api("GET", `/v1/directives?${query}`, { key: t.viewer });
      expect(res.status, query).toBe(400);
      expect(res.body.type).toBe("https://killswitch.dev/problems/validation");
    }
  });

  it("shows nothing of another tenant's: 404 on its refs, an empty list", async () => {
    const other = await createTenant(target, api);
    expect((await api("GET", path("EXPORT-2026-001"), { key: other.viewer })).status).toBe(404);
    expect((await api("PATCH", path("EXPORT-2026-001"), { key: other.admin, json: { title: "x" } })).status).toBe(404);
    expect((await api("POST", `${path("EXPORT-2026-001")}/lift`, { key: other.admin, json: { reason: "x" } })).status).toBe(404);
    expect((await api("DELETE", path("EXPORT-2026-001"), { key: other.admin, json: { reason: "x" } })).status).toBe(404);
    expect((await api("GET", "/v1/directives", { key: other.viewer })).body).toEqual({ items: [] });
  });
});
