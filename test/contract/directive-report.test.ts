/**
 * `GET /v1/directives/{ref}/report` on both hosts: what it holds, in JSON,
 * Markdown and a printable page, and who may read it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { okBody, type Api } from "../support/api.js";
import type { ContractTarget } from "../support/contract-target.js";
import { seedFableAndForeignNationals, startWithTenant } from "../support/contract-tenant.js";
import { createTenant, type TestTenant } from "../support/tenants.js";
import { waitFor } from "../e2e/support/wait-for.js";
import { openStream, type StreamClient } from "../worker/stream-client.js";

let target: ContractTarget;
let api: Api;
let t: TestTenant;
const sockets: StreamClient[] = [];
const REF = "EXPORT-2026-001";
const FLAGS = "/v1/envs/production/flags";
let block: { version: number; ruleId: string; audit: { seq: number; hash: string } };
let kill: { version: number; audit: { seq: number; hash: string } };

/** An SDK instance that acks every state it is sent. */
async function ackingInstance(name: string): Promise<void> {
  const client = await openStream(target.baseUrl, ["killswitch.v1", t.sdk]);
  sockets.push(client);
  client.ws.on("message", (data) => {
    const frame = JSON.parse(data.toString());
    if (frame.t === "snapshot" || frame.t === "patch") client.ws.send(JSON.stringify({ t: "ack", v: frame.v }));
  });
  client.ws.send(JSON.stringify({ t: "hello", protocol: 1, sdk: "test/1", app: "chat-api", instance: name }));
}

const receiptOf = (version: number) => api("GET", `/v1/envs/production/changes/${version}`, { key: t.viewer }).then((r) => r.body);

beforeAll(async () => {
  ({ target, api, t } = await startWithTenant());
  await seedFableAndForeignNationals(api, t);
  await okBody(api, t.operator, "POST", "/v1/flags", { key: "model.mythos-5", kind: "boolean" });
  await okBody(api, t.operator, "POST", "/v1/directives", {
    ref: REF,
    title: "No foreign nationals on Fable 5 or Mythos 5",
    issuer: "Export control office",
    receivedAt: "2026-11-27T17:21:00Z",
    summary: "From now on, no foreign national, staff included, may use Fable 5 or Mythos 5.",
  });
  await ackingInstance("i-1");
  await ackingInstance("i-2");
  await waitFor(() => api("GET", "/v1/envs/production/instances", { key: t.viewer }).then((r) => r.body.total === 2), 15_000, "two instances");
  block = await okBody(api, t.operator, "POST", `${FLAGS}/model.fable-5/block`, { reason: "Directive received 17:21", directive: REF, segment: "foreign-nationals" });
  kill = await okBody(api, t.operator, "POST", `${FLAGS}/model.mythos-5/kill`, { reason: "Scope unclear: off for everyone", directive: REF });
  await okBody(api, t.operator, "POST", `${FLAGS}/model.mythos-5/restore`, { reason: "Scope clarified", directive: REF });
  for (const version of [block.version, kill.version]) await waitFor(() => receiptOf(version).then((r) => r.final === true), 15_000, `the receipt of ${version}`);
  await okBody(api, t.operator, "POST", `/v1/directives/${REF}/lift`, { reason: "Directive withdrawn" });
}, 120_000);
afterAll(async () => {
  for (const s of sockets) s.ws.terminate();
  await target.close();
});

describe("the report", () => {
  it("holds the directive, each change with its receipt, the current state, the lift and the audit chain's verification", async () => {
    const res = await api("GET", `/v1/directives/${REF}/report`, { key: t.viewer });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const report = res.body;
    expect(report.directive).toMatchObject({ ref: REF, status: "lifted", issuer: "Export control office", changes: 3 });
    expect(report.changes.map((c: { action: string; key: string }) => `${c.action} ${c.key}`)).toEqual([
      "flag.block model.fable-5",
      "flag.kill model.mythos-5",
      "flag.restore model.mythos-5",
    ]);
    expect(report.changes[0]).toEqual({
      at: expect.stringMatching(/^\d{4}-/),
      actor: { keyId: expect.stringMatching(/^key_/), name: "operator key", role: "operator" },
      action: "flag.block",
      entity: "flag-config",
      key: "model.fable-5",
      flag: "model.fable-5",
      env: "production",
      text: "off for in segment foreign-nationals",
      reason: "Directive received 17:21",
      audit: block.audit,
      versions: [
        {
          env: "production",
          version: block.version,
          receipt: {
            connected: 2,
            acked: 2,
            latencyMs: { p50: expect.any(Number), p99: expect.any(Number), max: expect.any(Number) },
            timeTo100Ms: expect.any(Number),
            status: "complete",
            complete: true,
            savedAt: expect.stringMatching(/^\d{4}-/),
            savedBecause: "complete",
            stragglers: [],
          },
        },
      ],
    });
    expect(report.changes[0].versions[0].receipt.timeTo100Ms).toBe(report.changes[0].versions[0].receipt.latencyMs.max);
    expect(report.changes[1]).toMatchObject({ text: "off for everyone (killed)", audit: kill.audit });
    expect(report.changes[2].text).toBe("restored: enabled again (rules stay)");
    expect(report.currentState).toEqual([
      { flag: "model.fable-5", env: "production", kind: "rule", ruleId: block.ruleId, text: "off for in segment foreign-nationals", holds: true },
      { flag: "model.mythos-5", env: "production", kind: "kill", ruleId: null, text: "off for everyone (killed)", holds: false },
    ]);
    expect(report.lifted).toEqual({ at: expect.stringMatching(/^\d{4}-/), reason: "Directive withdrawn", by: "operator key" });
    const head = (await api("GET", "/v1/audit/head", { key: t.viewer })).body;
    expect(report.audit).toEqual({ verification: { ok: true, entries: head.seq, breaks: [] }, head });
    expect(report.asOf).toBe(head.at);
    expect(report.truncated).toBe(false);
  });

  it("says the same in Markdown and in a printable page, chosen by Accept", async () => {
    const md = await api("GET", `/v1/directives/${REF}/report`, { key: t.viewer, headers: { accept: "text/markdown" } });
    expect(md.status).toBe(200);
    expect(md.headers.get("content-type")).toMatch(/^text\/markdown/);
    expect(md.headers.get("vary")).toMatch(/accept/i);
    expect(md.body).toContain(`# Directive ${REF}: No foreign nationals on Fable 5 or Mythos 5`);
    expect(md.body).toContain("- What: off for in segment foreign-nationals");
    expect(md.body).toMatch(/- Receipt \(production, version \d+\): 2 of 2 applied; p50 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms; 100 % after [\d.]+ ms/);
    expect(md.body).toContain("| model.mythos-5 | production | off for everyone (killed) | no, lifted |");
    expect(md.body).toMatch(/## Audit chain\n\nintact; \d+ entries; head seq \d+, hash [0-9a-f]{64}/);

    const page = await api("GET", `/v1/directives/${REF}/report`, { key: t.viewer, headers: { accept: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8" } });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.body).toMatch(/^<!doctype html>/);
    expect(page.body).toContain("@media print");
    expect(page.body).toContain("off for in segment foreign-nationals");
    expect(page.body).toContain(kill.audit.hash);

    const any = await api("GET", `/v1/directives/${REF}/report`, { key: t.viewer, headers: { accept: "*/*" } });
    expect(any.headers.get("content-type")).toMatch(/^application\/json/);
  });

  it("escapes what operators wrote: HTML in the page, pipes in Markdown tables", async () => {
    const ref = "XSS-1";
    await okBody(api, t.operator, "POST", "/v1/directives", { ref, title: "<script>alert(1)</script>", receivedAt: "2026-11-27T17:21:00Z" });
    await okBody(api, t.operator, "POST", `${FLAGS}/model.fable-5/kill`, { reason: "a | b <img src=x onerror=alert(1)>", directive: ref });
    await okBody(api, t.operator, "POST", `${FLAGS}/model.fable-5/restore`, { reason: "r" });
    const page = (await api("GET", `/v1/directives/${ref}/report`, { key: t.viewer, headers: { accept: "text/html" } })).body as string;
    expect(page).not.toContain("<script>alert");
    expect(page).not.toContain("<img");
    expect(page).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");

    await okBody(api, t.operator, "POST", `${FLAGS}/model.mythos-5/block`, { reason: "r", directive: ref, when: [{ attribute: "employer", op: "in", values: ["a|b"] }] });
    const md = (await api("GET", `/v1/directives/${ref}/report`, { key: t.viewer, headers: { accept: "text/markdown" } })).body as string;
    expect(md).toContain('| model.mythos-5 | production | off for employer in "a\\|b" | yes |');
  });

  it("covers a ref that changes carry without a record, and answers 404, 403 and another tenant as everywhere", async () => {
    await okBody(api, t.operator, "POST", `${FLAGS}/model.fable-5/kill`, { reason: "phone call", directive: "CALL 12" });
    await okBody(api, t.operator, "POST", `${FLAGS}/model.fable-5/restore`, { reason: "r" });
    const unrecorded = await api("GET", `/v1/directives/${encodeURIComponent("CALL 12")}/report`, { key: t.viewer });
    expect(unrecorded.status).toBe(200);
    expect(unrecorded.body.directive).toMatchObject({ ref: "CALL 12", status: "unrecorded", title: null });
    expect(unrecorded.body.changes).toHaveLength(1);

    expect((await api("GET", "/v1/directives/NOPE/report", { key: t.viewer })).status).toBe(404);
    expect((await api("GET", `/v1/directives/${REF}/report?format=md`, { key: t.viewer })).status).toBe(400);
    expect((await api("GET", `/v1/directives/${REF}/report`, { key: t.sdk })).status).toBe(403);
    expect((await api("GET", `/v1/directives/${REF}/report`, { key: t.revoked })).status).toBe(401);
    const other = await createTenant(target, api);
    expect((await api("GET", `/v1/directives/${REF}/report`, { key: other.viewer })).status).toBe(404);
  });
});
