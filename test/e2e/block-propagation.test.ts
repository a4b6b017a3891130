/**
 * The directive case end to end: 50 real SDK clients on real sockets, an operator
 * blocks a model for `nationality notIn [US]`, every client's evaluation flips, and
 * the propagation receipt proves that all 50 applied it.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Api } from "../support/api.js";
import { startWithTenant } from "../support/contract-tenant.js";
import { latenciesFromAckTimes } from "../support/receipt-latencies.js";
import type { TestTenant } from "../support/tenants.js";
import { startInProcessServer, type InProcessServer } from "./support/in-process-server.js";
import { closeClients, trackedClient, type TrackedClient } from "./support/sdk-clients.js";
import { waitFor } from "./support/wait-for.js";

const CLIENTS = 50;
const FLAG = "model.x";

let server: InProcessServer;
let api: Api;
let t: TestTenant;

beforeAll(async () => {
  ({ target: server, api, t } = await startWithTenant(startInProcessServer));
  expect((await api("POST", "/v1/flags", { key: t.admin, json: { key: FLAG, kind: "boolean" } })).status).toBe(201);
});

afterAll(async () => {
  await closeClients();
  await server?.close();
});

const us = { key: "u-us", nationality: "US" };
const fr = { key: "u-fr", nationality: "FR" };
const unknown = { key: "u-unknown" };
const dual = { key: "u-dual", nationality: ["US", "FR"] };

it(
  "blocks model.x for nationality notIn [US] in all 50 clients, and the receipt shows 50 acks",
  async () => {
    const clients: TrackedClient[] = Array.from({ length: CLIENTS }, (_, i) =>
      trackedClient({ url: server.baseUrl, sdkKey: t.sdk, app: `e2e-app-${i % 5}` }),
    );
    const states = await Promise.all(clients.map(({ client }) => client.ready({ timeoutMs: 20_000 })));
    expect(states).toEqual(Array(CLIENTS).fill("ready"));
    for (const { client } of clients) {
      for (const context of [us, fr, unknown, dual]) expect(client.isEnabled(FLAG, context, false)).toBe(true);
    }
    // Every client is in the instance list before the block, so all 50 count as connected at commit time.
    await waitFor(async () => (await api("GET", "/v1/envs/production/instances", { key: t.viewer })).body.total === CLIENTS, 20_000, "50 instances");

    const block = await api("POST", `/v1/envs/production/flags/${FLAG}/block`, {
      key: t.operator,
      json: {
        reason: "Export directive received 17:21",
        directive: "EXPORT-2026-001",
        when: [{ attribute: "nationality", op: "notIn", values: ["US"] }],
      },
    });
    expect(block.status).toBe(200);
    const version: number = block.body.version;
    const ruleId: string = block.body.ruleId;

    await waitFor(() => clients.every(({ client }) => client.version >= version), 20_000, "every client at the block's version");
    for (const { client, versions } of clients) {
      expect(versions.at(-1)).toBe(version);
      expect(client.isEnabled(FLAG, us, false)).toBe(true);
      expect(client.isEnabled(FLAG, fr, true)).toBe(false);
      expect(client.isEnabled(FLAG, unknown, true)).toBe(false);
      expect(client.isEnabled(FLAG, dual, false)).toBe(true);
      expect(client.evaluate(FLAG, fr, true)).toMatchObject({ value: false, variant: "off", reason: "TARGETING_MATCH", ruleId });
      expect(client.firstAvailable([FLAG], unknown)).toBeUndefined();
    }

    // Acks travel after the apply: the receipt completes shortly after.
    let receipt: any; // checked field by field below
    await waitFor(
      async () => {
        receipt = (await api("GET", `/v1/envs/production/changes/${version}`, { key: t.viewer })).body;
        return receipt?.complete === true;
      },
      20_000,
      () => `a complete receipt, last: ${JSON.stringify(receipt)}`,
    );
    expect(receipt).toMatchObject({ version, connected: CLIENTS, acked: CLIENTS, pending: [], complete: true });
    const instances = await api("GET", "/v1/envs/production/instances", { key: t.viewer });
    expect(instances.status).toBe(200);
    // Each client's last ack was of this version: the receipt measured exactly those acks.
    expect(receipt.latencyMs).toEqual(latenciesFromAckTimes(receipt.committedAt, instances.body.items.map((i: { lastAckAt: string }) => i.lastAckAt)));
    expect(instances.body.total).toBe(CLIENTS);
    expect(new Set(instances.body.items.map((i: { instance: string }) => i.instance))).toEqual(new Set(clients.map(({ client }) => client.instance)));
    for (const item of instances.body.items) {
      expect(item).toMatchObject({ appliedVersion: version, sdk: expect.stringMatching(/^@killswitch\/sdk@/), app: expect.stringMatching(/^e2e-app-/) });
    }
  },
  60_000,
);
