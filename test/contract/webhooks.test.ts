/**
 * Webhooks on both hosts, against a receiver that verifies every delivery with
 * the `standardwebhooks` package: the secret shown once, the body and its
 * signature, retries (500, 500, 200), a receiver down across a server
 * restart, a receiver that does not answer while kills go on, the delivery
 * log and redelivery, secret rotation, the URL rules, events of scheduled
 * changes, receipts and audit checks, bad input and roles.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { closeClients, trackedClient } from "../e2e/support/sdk-clients.js";
import { waitFor } from "../e2e/support/wait-for.js";
import { apiFor, okBody, type Api } from "../support/api.js";
import { startContractTarget, type ContractTarget } from "../support/contract-target.js";
import { createTenant, type TestTenant } from "../support/tenants.js";
import { startReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";

let target: ContractTarget;
let api: Api;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  target = await startContractTarget();
  api = apiFor(target);
});

afterEach(async () => {
  await closeClients();
  for (const receiver of receivers.splice(0)) await receiver.close();
});

afterAll(() => target?.close());

interface Hooked {
  t: TestTenant;
  receiver: WebhookReceiver;
  webhook: any;
}

/** A fresh tenant with flag `model.a` and one webhook to a fresh receiver. */
async function hooked(events: string[] = ["change.committed"]): Promise<Hooked> {
  const t = await createTenant(target, api);
  await okBody(api, t.admin, "POST", "/v1/flags", { key: "model.a", kind: "boolean" });
  const receiver = await startReceiver();
  receivers.push(receiver);
  const res = await api("POST", "/v1/webhooks", { key: t.admin, json: { url: receiver.url, events, description: "test receiver" } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  receiver.secrets = [res.body.secret];
  return { t, receiver, webhook: res.body };
}

const kill = (t: TestTenant, reason = "directive", extra: object = {}) =>
  okBody(api, t.operator, "POST", "/v1/envs/production/flags/model.a/kill", { reason, ...extra });

const ofType = (receiver: WebhookReceiver, type: string) => receiver.received.filter((r) => r.json?.type === type);

async function received(receiver: WebhookReceiver, count: number, what: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(() => receiver.received.length >= count, timeoutMs, () => `${count} deliveries (${what}); got ${receiver.received.length}`, 50);
}

const deliveries = async (h: Hooked) => (await okBody(api, h.t.admin, "GET", `/v1/webhooks/${h.webhook.id}/deliveries`)).items;

describe("an endpoint", () => {
  it("is created with its secret shown once, and read, listed and audited without it", async () => {
    const { t, webhook } = await hooked(["change.committed", "schedule.applied"]);
    expect(webhook).toMatchObject({
      id: expect.stringMatching(/^wh_/),
      events: ["change.committed", "schedule.applied"],
      description: "test receiver",
      enabled: true,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
      audit: expect.any(Object),
    });
    const read = await okBody(api, t.admin, "GET", `/v1/webhooks/${webhook.id}`);
    expect(read).not.toHaveProperty("secret");
    expect(read).toMatchObject({ id: webhook.id, url: webhook.url });
    expect((await okBody(api, t.admin, "GET", "/v1/webhooks")).items.map((w: any) => w.id)).toEqual([webhook.id]);
    const audit = await okBody(api, t.admin, "GET", "/v1/audit?limit=1");
    expect(audit.items[0]).toMatchObject({ action: "webhook.create", entity: "webhook", key: webhook.id });
    expect(JSON.stringify(audit)).not.toContain(webhook.secret.slice(6));
  });

  it("gets every change signed per Standard Webhooks, with who, why and the audit entry", async () => {
    const { t, receiver } = await hooked();
    const answer = await kill(t, "Directive received", { directive: "EXPORT-2026-009" });
    await received(receiver, 1, "the kill");
    const [delivery] = receiver.received;
    expect(delivery!.verified, delivery!.error).toBe(true);
    expect(delivery!.id).toMatch(/^msg_/);
    expect(delivery!.json).toEqual({
      type: "change.committed",
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      data: {
        tenant: t.id,
        env: "production",
        version: answer.version,
        flag: "model.a",
        entity: "flag",
        key: "model.a",
        action: "flag.kill",
        actor: { keyId: expect.stringMatching(/^key_/), name: "operator key", role: "operator" },
        reason: "Directive received",
        directive: "EXPORT-2026-009",
        audit: answer.audit,
      },
    });
  });

  it("is tried again after 500, 500 and gets the event on the third attempt; the log shows each attempt", async () => {
    const h = await hooked();
    h.receiver.answers = [{ status: 500, body: "boom 1" }, { status: 500, body: "boom 2" }];
    await kill(h.t);
    await received(h.receiver, 3, "two failures and a success");
    expect(h.receiver.received.map((r) => r.verified)).toEqual([true, true, true]);
    expect(new Set(h.receiver.received.map((r) => r.id)).size).toBe(1);
    let items: any[] = [];
    await waitFor(async () => (items = await deliveries(h))[0]?.status === "delivered", 10_000, "the delivery to be recorded", 100);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ type: "change.committed", eventId: h.receiver.received[0]!.id, attemptCount: 3, deliveredAt: expect.any(String) });
    expect(items[0].attempts.map((a: any) => [a.status, a.response, a.error])).toEqual([
      [500, "boom 1", null],
      [500, "boom 2", null],
      [200, "ok", null],
    ]);
    for (const attempt of items[0].attempts) expect(Number.isInteger(attempt.latencyMs)).toBe(true);
  });

  it("still gets an event when it is down across a server restart", async () => {
    const h = await hooked();
    await h.receiver.stop();
    await kill(h.t, "while the receiver is down");
    await waitFor(async () => (await deliveries(h))[0]?.attempts.length >= 1, 20_000, "a failed attempt", 100);
    const [failed] = await deliveries(h);
    expect(failed).toMatchObject({ status: "pending", attempts: [{ status: null, error: expect.any(String) }] });
    await target.restart!(() => h.receiver.start());
    await received(h.receiver, 1, "the retry after the restart", 30_000);
    expect(h.receiver.received[0]).toMatchObject({ verified: true, json: { data: { reason: "while the receiver is down" } } });
  });

  it("that does not answer never holds a kill back: the kill answers while the receiver still holds the delivery", async () => {
    const h = await hooked();
    h.receiver.answers = ["hold", "hold"];
    await kill(h.t, "first");
    await waitFor(() => h.receiver.holding >= 1, 20_000, "the receiver to hold the first delivery");
    const second = await api("POST", "/v1/envs/production/flags/model.a/kill", { key: h.t.operator, json: { reason: "second" } });
    expect(second.status).toBe(200);
    expect(h.receiver.holding).toBeGreaterThanOrEqual(1);
    h.receiver.release();
  });

  it("gets a delivery again on redeliver, with the same webhook-id", async () => {
    const h = await hooked();
    await kill(h.t);
    await received(h.receiver, 1, "the kill");
    let [first] = await deliveries(h);
    await waitFor(async () => ([first] = await deliveries(h))[0]?.status === "delivered", 10_000, "delivered", 100);
    const res = await api("POST", `/v1/webhooks/${h.webhook.id}/deliveries/${first.id}/redeliver`, { key: h.t.admin, json: { reason: "lost it" } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ id: first.id, status: "pending", attemptCount: 0, audit: expect.any(Object) });
    await received(h.receiver, 2, "the redelivery");
    expect(h.receiver.received[1]!.id).toBe(h.receiver.received[0]!.id);
    expect(h.receiver.received[1]!.verified).toBe(true);
  });

  it("rotates its secret: deliveries verify with the new one, and with the old one during the grace period only", async () => {
    const h = await hooked();
    const old = h.webhook.secret;
    const rotated = await okBody(api, h.t.admin, "POST", `/v1/webhooks/${h.webhook.id}/rotate-secret`, { reason: "yearly" });
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(old);
    expect(rotated.previousSecretUntil).toEqual(expect.any(String));
    h.receiver.secrets = [old];
    await kill(h.t, "verified with the old secret");
    h.receiver.secrets = [rotated.secret];
    await kill(h.t, "verified with the new secret");
    await received(h.receiver, 2, "two kills");
    expect(h.receiver.received.map((r) => r.verified)).toEqual([true, true]);

    const cut = await okBody(api, h.t.admin, "POST", `/v1/webhooks/${h.webhook.id}/rotate-secret`, { graceSeconds: 0, reason: "leaked" });
    h.receiver.secrets = [rotated.secret];
    await kill(h.t, "not with the leaked one");
    await received(h.receiver, 3, "the third kill");
    expect(h.receiver.received[2]!.verified).toBe(false);
    h.receiver.secrets = [cut.secret];
  });

  it("is paused, narrowed and deleted with PATCH and DELETE", async () => {
    const h = await hooked(["change.committed", "schedule.applied"]);
    const paused = await okBody(api, h.t.admin, "PATCH", `/v1/webhooks/${h.webhook.id}`, { enabled: false, reason: "maintenance" });
    expect(paused.enabled).toBe(false);
    await kill(h.t, "while paused");
    const narrowed = await okBody(api, h.t.admin, "PATCH", `/v1/webhooks/${h.webhook.id}`, { enabled: true, events: ["schedule.applied"] });
    expect(narrowed).toMatchObject({ enabled: true, events: ["schedule.applied"] });
    await kill(h.t, "not subscribed");
    expect(await deliveries(h)).toEqual([]);
    const gone = await api("DELETE", `/v1/webhooks/${h.webhook.id}`, { key: h.t.admin, json: { reason: "done" } });
    expect(gone.status).toBe(204);
    expect((await api("GET", `/v1/webhooks/${h.webhook.id}`, { key: h.t.admin })).status).toBe(404);
    expect(h.receiver.received).toEqual([]);
  });
});

describe("events", () => {
  it("schedule.applied when a scheduled change is applied, as the scheduler", async () => {
    const h = await hooked(["schedule.applied"]);
    const at = new Date(Date.now() + 1_000).toISOString();
    const scheduled = await okBody(api, h.t.operator, "POST", "/v1/envs/production/flags/model.a/kill", { reason: "later", at });
    await received(h.receiver, 1, "schedule.applied");
    expect(h.receiver.received[0]!.verified).toBe(true);
    expect(h.receiver.received[0]!.json.data).toMatchObject({
      tenant: h.t.id,
      env: "production",
      flag: "model.a",
      action: "flag.kill",
      actor: { name: "scheduler", role: "scheduler" },
      reason: "later",
      audit: { seq: expect.any(Number), hash: expect.any(String) },
      schedule: { id: scheduled.schedule.id, status: "applied", at },
    });
  });

  it("change.complete once the connected SDK instance has applied the change", async () => {
    const h = await hooked(["change.complete", "change.incomplete"]);
    const client = trackedClient({ url: target.baseUrl, sdkKey: h.t.sdk, app: "webhook-test", reconnectDelayMs: 100 });
    expect(await client.client.ready({ timeoutMs: 20_000 })).toBe("ready");
    const { version } = await kill(h.t, "to be acked");
    await received(h.receiver, 1, "change.complete", 30_000);
    expect(h.receiver.received[0]!.json).toMatchObject({
      type: "change.complete",
      data: { version, flag: "model.a", action: "flag.kill", receipt: { status: "complete", acked: 1 } },
    });
  });

  it("audit.verify_failed when a verification finds a break, once per finding", async () => {
    const h = await hooked(["audit.verify_failed"]);
    await kill(h.t, "to tamper with");
    if (!target.sql) throw new Error("the contract target runs SQL");
    await target.sql("UPDATE audit_log SET reason = 'edited' WHERE tenant_id = ? AND action = 'flag.kill'", [h.t.id]);
    const verify = await okBody(api, h.t.viewer, "GET", "/v1/audit/verify");
    expect(verify.ok).toBe(false);
    await okBody(api, h.t.viewer, "GET", "/v1/audit/verify");
    await received(h.receiver, 1, "audit.verify_failed", 30_000);
    expect(h.receiver.received[0]!.json).toMatchObject({
      type: "audit.verify_failed",
      data: { tenant: h.t.id, action: "audit.verify", verification: { brokenAt: verify.brokenAt } },
    });
    expect((await deliveries(h)).length).toBe(1);
  });
});

describe("bad input and roles", () => {
  let t: TestTenant;
  let other: TestTenant;
  beforeAll(async () => {
    t = await createTenant(target, api);
    other = await createTenant(target, api);
  });

  it.each([
    ["another scheme", "ftp://hooks.example.com/x", /http or https/],
    ["credentials in the URL", "https://user:pass@hooks.example.com/x", /credentials/],
    ["the metadata address", "http://169.254.169.254/latest/meta-data", /metadata/],
    ["a link-local address", "http://[fe80::1]/x", /link-local/],
    ["a metadata name", "http://metadata.google.internal/computeMetadata/v1", /metadata/],
    ["the unspecified address", "http://0.0.0.0:8080/x", /unspecified/],
    ["no URL at all", "hooks.example.com/x", /absolute URL/],
  ])("refuses %s as a URL", async (_name, url, message) => {
    const res = await api("POST", "/v1/webhooks", { key: t.admin, json: { url, events: ["change.committed"] } });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ path: "url", message: expect.stringMatching(message) });
  });

  it.each([
    ["no events", { url: "https://hooks.example.com/x", events: [] }, "events"],
    ["an unknown event", { url: "https://hooks.example.com/x", events: ["change.maybe"] }, "events[0]"],
    ["an event twice", { url: "https://hooks.example.com/x", events: ["change.committed", "change.committed"] }, "events"],
    ["an unknown field", { url: "https://hooks.example.com/x", events: ["change.committed"], secret: "mine" }, "secret"],
  ])("refuses %s", async (_name, json, path) => {
    const res = await api("POST", "/v1/webhooks", { key: t.admin, json });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.errors[0].path).toBe(path);
  });

  it("is the admin's: 403 for an operator, 404 for another tenant, 400 for an empty PATCH", async () => {
    const created = await okBody(api, t.admin, "POST", "/v1/webhooks", { url: "https://hooks.example.com/x", events: ["change.committed"] });
    expect((await api("GET", "/v1/webhooks", { key: t.operator })).status).toBe(403);
    expect((await api("POST", "/v1/webhooks", { key: t.operator, json: { url: "https://a.example/x", events: ["change.committed"] } })).status).toBe(403);
    for (const [method, path] of [
      ["GET", `/v1/webhooks/${created.id}`],
      ["PATCH", `/v1/webhooks/${created.id}`],
      ["DELETE", `/v1/webhooks/${created.id}`],
      ["POST", `/v1/webhooks/${created.id}/rotate-secret`],
      ["GET", `/v1/webhooks/${created.id}/deliveries`],
    ] as const) {
      expect((await api(method, path, { key: other.admin, json: method === "PATCH" ? { enabled: false } : undefined })).status, `${method} ${path}`).toBe(404);
    }
    expect((await api("PATCH", `/v1/webhooks/${created.id}`, { key: t.admin, json: {} })).status).toBe(400);
    expect((await api("GET", `/v1/webhooks/${created.id}/deliveries?status=lost`, { key: t.admin })).status).toBe(400);
    expect((await api("POST", `/v1/webhooks/${created.id}/deliveries/dlv_nope/redeliver`, { key: t.admin })).status).toBe(404);
  });
});
