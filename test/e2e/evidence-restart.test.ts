/**
 * Evidence that survives a restart, with `npm start` as a real process on one
 * database file and real SDK clients:
 *
 * - a directive's report is the same, byte for byte, before and after a
 *   restart (JSON, Markdown and the printable page): it is rebuilt from the
 *   database alone;
 * - a complete receipt is saved once complete, so it is still there after
 *   SIGKILL, marked `final: true`;
 * - a receipt still pending at SIGTERM is saved at shutdown with the instance
 *   that had not applied it, and the report names that straggler.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { okBody, type Api } from "../support/api.js";
import { seedFableAndForeignNationals, startWithTenant } from "../support/contract-tenant.js";
import type { TestTenant } from "../support/tenants.js";
import { openStream, type StreamClient } from "../worker/stream-client.js";
import { startProcessTarget, type ProcessTarget } from "./support/process-target.js";
import { closeClients, trackedClient } from "./support/sdk-clients.js";
import { waitFor } from "./support/wait-for.js";

const REF = "EXPORT-2026-001";
const FLAGS = "/v1/envs/production/flags";
const CLIENTS = 3;

let target: ProcessTarget;
let api: Api;
let t: TestTenant;
const sockets: StreamClient[] = [];

beforeAll(async () => {
  ({ target, api, t } = await startWithTenant(startProcessTarget));
  await seedFableAndForeignNationals(api, t);
  await okBody(api, t.operator, "POST", "/v1/flags", { key: "model.mythos-5", kind: "boolean" });
  await okBody(api, t.operator, "POST", "/v1/directives", {
    ref: REF,
    title: "No foreign nationals on Fable 5 or Mythos 5",
    receivedAt: "2026-11-27T17:21:00Z",
  });
  for (let i = 0; i < CLIENTS; i++) {
    trackedClient({ url: target.baseUrl, sdkKey: t.sdk, app: i === 0 ? "chat-api" : "batch" });
  }
  await connected(CLIENTS);
}, 120_000);

afterAll(async () => {
  for (const s of sockets) s.ws.terminate();
  await closeClients();
  await target?.close();
});

const connected = (n: number) =>
  waitFor(
    () => api("GET", "/v1/envs/production/instances", { key: t.viewer }).then((r) => r.status === 200 && r.body.total >= n),
    60_000,
    `${n} instances connected`,
    100,
  );
const receiptOf = (version: number) => api("GET", `/v1/envs/production/changes/${version}`, { key: t.viewer });
const finalReceipt = async (version: number) => {
  await waitFor(() => receiptOf(version).then((r) => r.body?.final === true), 30_000, `the final receipt of version ${version}`, 100);
  return (await receiptOf(version)).body;
};
const reports = async () => ({
  json: (await api("GET", `/v1/directives/${REF}/report`, { key: t.viewer })).body,
  markdown: (await api("GET", `/v1/directives/${REF}/report`, { key: t.viewer, headers: { accept: "text/markdown" } })).body,
  html: (await api("GET", `/v1/directives/${REF}/report`, { key: t.viewer, headers: { accept: "text/html" } })).body,
});

it("gives the same report before and after a restart", async () => {
  const block = await okBody(api, t.operator, "POST", `${FLAGS}/model.fable-5/block`, { reason: "Directive received 17:21", directive: REF, segment: "foreign-nationals" });
  const kill = await okBody(api, t.operator, "POST", `${FLAGS}/model.mythos-5/kill`, { reason: "Scope unclear", directive: REF });
  expect(await finalReceipt(block.version)).toMatchObject({ connected: CLIENTS, acked: CLIENTS, status: "complete", savedBecause: "complete" });
  await finalReceipt(kill.version);
  const before = await reports();
  expect(before.json.changes).toHaveLength(2);
  expect(before.json.changes.every((c: { versions: { receipt: unknown }[] }) => c.versions[0]!.receipt !== null)).toBe(true);

  await target.process.signal("SIGTERM");
  await target.start();
  const after = await reports();
  expect(after.json).toEqual(before.json);
  expect(after.markdown).toBe(before.markdown);
  expect(after.html).toBe(before.html);
}, 180_000);

it("keeps a complete receipt through SIGKILL, marked final", async () => {
  await connected(CLIENTS);
  const restore = await okBody(api, t.operator, "POST", `${FLAGS}/model.mythos-5/restore`, { reason: "Scope clarified", directive: REF });
  const saved = await finalReceipt(restore.version);
  await target.process.signal("SIGKILL");
  await target.start();
  const after = await receiptOf(restore.version);
  expect(after.status).toBe(200);
  expect(after.body).toEqual(saved);
  expect(after.body).toMatchObject({ final: true, status: "complete", acked: CLIENTS });
}, 180_000);

it("saves at SIGTERM a receipt still pending, naming the instance that had not applied it", async () => {
  await connected(CLIENTS);
  // An instance that takes its first state and then never applies anything.
  const frozen = await openStream(target.baseUrl, ["killswitch.v1", t.sdk]);
  sockets.push(frozen);
  frozen.ws.send(JSON.stringify({ t: "hello", protocol: 1, sdk: "test/1", app: "batch", instance: "frozen-1" }));
  const first = JSON.parse(await frozen.next(10_000));
  frozen.ws.send(JSON.stringify({ t: "ack", v: first.v }));
  await connected(CLIENTS + 1);

  const block = await okBody(api, t.operator, "POST", `${FLAGS}/model.mythos-5/block`, {
    reason: "Staff exception withdrawn",
    directive: REF,
    when: [{ attribute: "employer", op: "in", values: ["acme-defense"] }],
  });
  await waitFor(
    () => receiptOf(block.version).then((r) => r.body?.acked === CLIENTS && r.body.status === "pending"),
    30_000,
    "every SDK client but the frozen one applied it",
    100,
  );
  await target.process.signal("SIGTERM");
  await target.start();

  const after = await receiptOf(block.version);
  expect(after.status).toBe(200);
  expect(after.body).toMatchObject({
    version: block.version,
    connected: CLIENTS + 1,
    acked: CLIENTS,
    pending: [{ instance: "frozen-1", app: "batch" }],
    status: "pending",
    complete: false,
    final: true,
    savedBecause: "shutdown",
  });
  const report = (await reports()).json;
  const change = report.changes.find((c: { audit: { seq: number } }) => c.audit.seq === block.audit.seq);
  expect(change.versions[0].receipt).toMatchObject({ savedBecause: "shutdown", timeTo100Ms: null, stragglers: [{ app: "batch", instances: ["frozen-1"] }] });
}, 180_000);
