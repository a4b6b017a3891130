/**
 * Two `npm start` processes on one database file, both running the background
 * loop: every scheduled change falls due on both, and is applied once (one
 * audit entry, one version each); every webhook event is delivered once, by
 * whichever process claimed it.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { base64url, randomBytes } from "../../src/core/crypto.js";
import { apiFor, okBody, type Api } from "../support/api.js";
import { tempDir } from "../support/temp-db.js";
import { createTenant, type TestTenant } from "../support/tenants.js";
import { startReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";
import { startServerProcess, type ServerProcess } from "./support/server-process.js";
import { waitFor } from "./support/wait-for.js";

const FLAGS = 12;

let dir: string;
let nodes: ServerProcess[] = [];
let apiA: Api;
let apiB: Api;
let t: TestTenant;
let receiver: WebhookReceiver;

beforeAll(async () => {
  dir = tempDir();
  const databaseUrl = `file:${join(dir, "killswitch.db")}`;
  const rootToken = `root-${base64url(randomBytes(24))}`;
  // The children inherit these: the receiver listens on 127.0.0.1.
  process.env.KILLSWITCH_WEBHOOK_ALLOW_PRIVATE = "1";
  process.env.KILLSWITCH_WEBHOOK_RETRY_BASE_MS = "300";
  nodes = [await startServerProcess({ databaseUrl, rootToken }), await startServerProcess({ databaseUrl, rootToken })];
  const target = (node: ServerProcess) => ({ baseUrl: node.url, rootToken, close: async () => {} });
  apiA = apiFor(target(nodes[0]!));
  apiB = apiFor(target(nodes[1]!));
  t = await createTenant(target(nodes[0]!), apiA, "two nodes");
  receiver = await startReceiver();
});

afterAll(async () => {
  for (const node of nodes) await node.signal("SIGKILL");
  await receiver?.close();
  delete process.env.KILLSWITCH_WEBHOOK_ALLOW_PRIVATE;
  delete process.env.KILLSWITCH_WEBHOOK_RETRY_BASE_MS;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const envVersion = async (api: Api): Promise<number> =>
  (await okBody(api, t.viewer, "GET", "/v1/envs")).items.find((e: any) => e.key === "production").version;

it("applies each scheduled change once and delivers each event once", { timeout: 90_000 }, async () => {
  const flags = Array.from({ length: FLAGS }, (_, i) => `model.twin-${i}`);
  for (const key of flags) await okBody(apiA, t.admin, "POST", "/v1/flags", { key, kind: "boolean" });
  const hook = await okBody(apiB, t.admin, "POST", "/v1/webhooks", { url: receiver.url, events: ["change.committed", "schedule.applied"] });
  receiver.secrets = [hook.secret];
  const before = (await envVersion(apiA));

  // All due at the same moment, half scheduled through each process.
  const at = new Date(Date.now() + 3_000).toISOString();
  const ids: string[] = [];
  for (const [i, key] of flags.entries()) {
    const api = i % 2 === 0 ? apiA : apiB;
    ids.push((await okBody(api, t.operator, "POST", `/v1/envs/production/flags/${key}/kill`, { reason: `twin ${i}`, at })).schedule.id);
  }
  await waitFor(
    async () => (await okBody(apiA, t.viewer, "GET", "/v1/envs/production/schedule")).items.length === 0,
    30_000,
    "every entry to be applied",
    200,
  );
  for (const id of ids) expect(await okBody(apiB, t.viewer, "GET", `/v1/schedule/${id}`)).toMatchObject({ status: "applied" });
  expect((await envVersion(apiA))).toBe(before + FLAGS);
  const audit = await okBody(apiA, t.viewer, "GET", "/v1/audit?limit=100");
  const applied = audit.items.filter((e: any) => e.actor.name === "scheduler");
  expect(applied).toHaveLength(FLAGS);
  expect(new Set(applied.map((e: any) => e.key)).size).toBe(FLAGS);

  // A change.committed and a schedule.applied per change, each once.
  const expected = 2 * FLAGS;
  await waitFor(() => receiver.received.length >= expected, 30_000, () => `${expected} deliveries, got ${receiver.received.length}`, 100);
  await new Promise((resolve) => setTimeout(resolve, 1_500)); // room for a duplicate to show up
  const ids2 = receiver.received.map((r) => r.id);
  expect(ids2).toHaveLength(expected);
  expect(new Set(ids2).size).toBe(expected);
  expect(receiver.received.every((r) => r.verified)).toBe(true);
});
