/**
 * `GET /v1/events`: the operator event stream (server-sent events) on both
 * hosts — changes, directives, receipts and instances, tenant-scoped, resumable
 * with Last-Event-ID (from the buffer, and from the audit log after a restart).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { okBody, type Api } from "../support/api.js";
import type { ContractTarget } from "../support/contract-target.js";
import { startWithTenant } from "../support/contract-tenant.js";
import { openEvents, type EventStream } from "../support/sse.js";
import { createTenant, type TestTenant } from "../support/tenants.js";
import { openStream, type StreamClient } from "../worker/stream-client.js";

let target: ContractTarget;
let api: Api;
let t: TestTenant;
const streams: EventStream[] = [];
const sockets: StreamClient[] = [];

const FLAG = "/v1/envs/production/flags/model.fable-5";

beforeAll(async () => {
  ({ target, api, t } = await startWithTenant());
  await okBody(api, t.operator, "POST", "/v1/flags", { key: "model.fable-5", kind: "boolean" });
});
afterEach(() => {
  for (const s of streams.splice(0)) s.close();
  for (const s of sockets.splice(0)) s.ws.terminate();
});
afterAll(() => target.close());

const events = async (key: string, headers: Record<string, string> = {}): Promise<EventStream> => {
  const stream = await openEvents(target.baseUrl, key, headers);
  streams.push(stream);
  return stream;
};

/** An SDK instance that said hello and acked its first state; it acks what it is sent when `acking`. */
async function instance(sdkKey: string, name: string, acking: boolean): Promise<StreamClient> {
  const client = await openStream(target.baseUrl, ["killswitch.v1", sdkKey]);
  sockets.push(client);
  client.ws.send(JSON.stringify({ t: "hello", protocol: 1, sdk: "test/1", app: "checkout", instance: name }));
  const first = JSON.parse(await client.next());
  client.ws.send(JSON.stringify({ t: "ack", v: first.v }));
  if (acking) {
    client.ws.on("message", (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.t === "patch") client.ws.send(JSON.stringify({ t: "ack", v: frame.v }));
    });
  }
  return client;
}

describe("who may listen", () => {
  it("streams text/event-stream to viewer, operator and admin keys; refuses sdk, revoked, queries and a bad Last-Event-ID", async () => {
    for (const key of [t.viewer, t.operator, t.admin]) {
      const stream = await events(key);
      expect(stream.status).toBe(200);
      expect(stream.contentType).toMatch(/^text\/event-stream/);
    }
    expect((await api("GET", "/v1/events", { key: t.sdk })).status).toBe(403);
    expect((await api("GET", "/v1/events", { key: t.revoked })).status).toBe(401);
    expect((await api("GET", "/v1/events")).status).toBe(401);
    const query = await api("GET", "/v1/events?since=1", { key: t.viewer });
    expect(query.status).toBe(400);
    expect(query.body.type).toBe("https://killswitch.dev/problems/validation");
    for (const id of ["abc", "1:2", "-1:0:x", "1:2:UPPER"]) {
      const res = await api("GET", "/v1/events", { key: t.viewer, headers: { "last-event-id": id } });
      expect(res.status, id).toBe(400);
      expect(res.body.errors[0].path).toBe("Last-Event-ID");
    }
  });
});

describe("what it says", () => {
  it("sends a change event per committed change, with version, flag, action, actor and directive; and directive events", async () => {
    const stream = await events(t.viewer);
    const directive = await okBody(api, t.operator, "POST", "/v1/directives", { ref: "EV-1", title: "Order", receivedAt: "2026-11-27T17:21:00Z" });
    const killed = await okBody(api, t.operator, "POST", `${FLAG}/kill`, { reason: "directive received", directive: "EV-1" });
    const created = await stream.next((e) => e.event === "directive");
    expect(created.data).toEqual({
      ref: "EV-1",
      action: "directive.create",
      actor: { keyId: expect.stringMatching(/^key_/), name: "operator key", role: "operator" },
      reason: null,
      at: expect.stringMatching(/^\d{4}-/),
      audit: directive.audit,
    });
    const change = await stream.next((e) => e.event === "change");
    expect(change.data).toEqual({
      env: "production",
      version: killed.version,
      entity: "flag",
      key: "model.fable-5",
      flag: "model.fable-5",
      action: "flag.kill",
      actor: { keyId: expect.stringMatching(/^key_/), name: "operator key", role: "operator" },
      reason: "directive received",
      directive: "EV-1",
      committedAt: expect.stringMatching(/^\d{4}-/),
      audit: killed.audit,
    });
    expect(change.id).toMatch(/^\d+:\d+:[a-z0-9]+$/);
    // Nobody was connected: the receipt is final at once, and says so.
    const receipt = await stream.next((e) => e.event === "receipt" && e.data.version === killed.version);
    expect(receipt.data).toEqual({
      env: "production",
      version: killed.version,
      connected: 0,
      acked: 0,
      pending: 0,
      p99: null,
      status: "no-instances",
      complete: false,
      final: true,
    });
    await okBody(api, t.operator, "POST", `${FLAG}/restore`, { reason: "clarified" });
  });

  it("follows a receipt while pending and once complete, and reports instances connecting and leaving", async () => {
    const stream = await events(t.viewer);
    const slow = await instance(t.sdk, "i-slow", false);
    await instance(t.sdk, "i-fast", true);
    const connects = [await stream.next((e) => e.event === "instance"), await stream.next((e) => e.event === "instance")];
    expect(connects.map((e) => e.data.instance).sort()).toEqual(["i-fast", "i-slow"]);
    expect(connects[0]!.data).toEqual({ env: "production", event: "connect", instance: expect.any(String), app: "checkout", sdk: "test/1", at: expect.any(String) });

    const { version } = await okBody(api, t.operator, "POST", `${FLAG}/kill`, { reason: "block now" });
    const pending = await stream.next((e) => e.event === "receipt" && e.data.version === version && e.data.status === "pending" && e.data.acked === 1);
    expect(pending.data).toMatchObject({ connected: 2, acked: 1, pending: 1, complete: false, final: false });
    expect(pending.data.p99).toEqual(expect.any(Number));

    for (;;) {
      const frame = JSON.parse(await slow.next());
      if (frame.t === "patch" && frame.v === version) break;
    }
    slow.ws.send(JSON.stringify({ t: "ack", v: version }));
    const done = await stream.next((e) => e.event === "receipt" && e.data.version === version && e.data.final);
    expect(done.data).toMatchObject({ connected: 2, acked: 2, pending: 0, status: "complete", complete: true, final: true });
    expect(stream.received.filter((e) => e.event === "receipt" && e.data.version === version && e.data.final)).toHaveLength(1);

    slow.ws.close();
    const left = await stream.next((e) => e.event === "instance" && e.data.event === "disconnect");
    expect(left.data).toMatchObject({ instance: "i-slow", app: "checkout" });
    await okBody(api, t.operator, "POST", `${FLAG}/restore`, { reason: "r" });
  });

  it("is tenant-scoped: another tenant's changes never reach this stream", async () => {
    const other = await createTenant(target, api);
    await okBody(api, other.operator, "POST", "/v1/flags", { key: "model.fable-5", kind: "boolean" });
    const mine = await events(t.viewer);
    const theirs = await events(other.viewer);
    await okBody(api, other.operator, "POST", `${FLAG}/kill`, { reason: "theirs" });
    await theirs.next((e) => e.event === "change" && e.data.reason === "theirs");
    await okBody(api, t.operator, "POST", `${FLAG}/kill`, { reason: "mine" });
    await mine.next((e) => e.event === "change" && e.data.reason === "mine");
    expect(mine.received.filter((e) => e.event === "change").map((e) => e.data.reason)).toEqual(["mine"]);
    expect(theirs.received.filter((e) => e.event === "change").map((e) => e.data.reason)).toEqual(["theirs"]);
    await okBody(api, t.operator, "POST", `${FLAG}/restore`, { reason: "r" });
  });
});

describe("resuming with Last-Event-ID", () => {
  it("sends what was missed, in order, then live events", async () => {
    const first = await events(t.viewer);
    await okBody(api, t.operator, "POST", `${FLAG}/kill`, { reason: "one" });
    const seen = await first.next((e) => e.event === "change" && e.data.reason === "one");
    first.close();
    await okBody(api, t.operator, "POST", `${FLAG}/restore`, { reason: "two" });
    await okBody(api, t.operator, "POST", "/v1/directives", { ref: "EV-2", title: "Order", receivedAt: "2026-11-27T17:21:00Z" });

    const resumed = await events(t.viewer, { "last-event-id": seen.id! });
    const missed = await resumed.next((e) => e.event === "change");
    expect(missed.data.reason).toBe("two");
    expect((await resumed.next((e) => e.event === "directive")).data.ref).toBe("EV-2");
    await okBody(api, t.operator, "POST", `${FLAG}/kill`, { reason: "three" });
    expect((await resumed.next((e) => e.event === "change")).data.reason).toBe("three");
    expect(resumed.received.filter((e) => e.event === "change").map((e) => e.data.reason)).toEqual(["two", "three"]);
    await okBody(api, t.operator, "POST", `${FLAG}/restore`, { reason: "r" });
  });

  it("after a restart, replays the change and directive events after the id from the audit log", async () => {
    const first = await events(t.viewer);
    await okBody(api, t.operator, "POST", `${FLAG}/kill`, { reason: "before restart" });
    const seen = await first.next((e) => e.event === "change" && e.data.reason === "before restart");
    first.close();
    const after = await okBody(api, t.operator, "POST", `${FLAG}/restore`, { reason: "after the last event seen" });
    await target.restart!();
    await okBody(api, t.operator, "POST", "/v1/directives", { ref: "EV-3", title: "Order", receivedAt: "2026-11-27T17:21:00Z" });

    const resumed = await events(t.viewer, { "last-event-id": seen.id! });
    const replayed = await resumed.next((e) => e.event === "change");
    expect(replayed.data).toMatchObject({ reason: "after the last event seen", version: after.version, audit: after.audit, action: "flag.restore" });
    expect((await resumed.next((e) => e.event === "directive")).data.ref).toBe("EV-3");
    // Resuming from a replayed event goes on from there, without repeating it.
    resumed.close();
    const again = await events(t.viewer, { "last-event-id": replayed.id! });
    await okBody(api, t.operator, "POST", `${FLAG}/kill`, { reason: "later" });
    expect((await again.next((e) => e.event === "change")).data.reason).toBe("later");
    await okBody(api, t.operator, "POST", `${FLAG}/restore`, { reason: "r" });
  }, 120_000);
});
