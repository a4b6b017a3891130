/**
 * A client cut off from the service for real: the server process is frozen with
 * SIGSTOP, so its sockets stay open and nothing comes back, not even a pong. Past
 * `staleAfterMs`, the fail-closed flag serves its offVariant (STALE) and the
 * fail-open flag keeps its last known rules (CACHED); once the server runs again,
 * the client is fresh again.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Api } from "../support/api.js";
import { startWithTenant } from "../support/contract-tenant.js";
import type { TestTenant } from "../support/tenants.js";
import { startProcessTarget, type ProcessTarget } from "./support/process-target.js";
import { closeClients, trackedClient } from "./support/sdk-clients.js";
import { sleep, waitFor } from "./support/wait-for.js";

/** Three times the contract's minimum: the client pings every second, so a busy machine does not make it stale. */
const STALE_AFTER_MS = 3_000;
const CLOSED = "model.closed";
const OPEN = "model.open";

let target: ProcessTarget;
let api: Api;
let t: TestTenant;

beforeAll(async () => {
  ({ target, api, t } = await startWithTenant(startProcessTarget));
  for (const [key, failMode, rules] of [
    [CLOSED, "closed", []],
    [OPEN, "open", [{ id: "no-fr", when: [{ attribute: "nationality", op: "in", values: ["FR"] }], serve: { variant: "off" } }]],
  ] as const) {
    expect((await api("POST", "/v1/flags", { key: t.admin, json: { key, kind: "boolean" } })).status).toBe(201);
    const put = await api("PUT", `/v1/envs/production/flags/${key}`, {
      key: t.operator,
      json: { enabled: true, offVariant: "off", rules, fallthrough: { variant: "on" }, failMode, staleAfterMs: STALE_AFTER_MS, reason: "e2e set-up" },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
  }
});

afterAll(async () => {
  await closeClients();
  await target?.close(); // SIGKILL ends a stopped process too
});

const us = { key: "u-us", nationality: "US" };
const fr = { key: "u-fr", nationality: "FR" };

it(
  "serves fail-closed flags off (STALE) and fail-open flags from cache (CACHED) once cut off past staleAfterMs",
  async () => {
    const tracked = trackedClient({ url: target.baseUrl, sdkKey: t.sdk, app: "e2e-stale", reconnectDelayMs: 200 });
    const { client } = tracked;
    expect(await client.ready({ timeoutMs: 20_000 })).toBe("ready");
    expect(client.evaluate(CLOSED, us, false)).toMatchObject({ value: true, reason: "STATIC" });
    expect(client.evaluate(OPEN, fr, true)).toMatchObject({ value: false, reason: "TARGETING_MATCH", ruleId: "no-fr" });

    // Connected and idle for longer than the limit: its pings keep it fresh.
    await sleep(STALE_AFTER_MS + 1_000);
    expect(client.evaluate(CLOSED, us, false)).toMatchObject({ value: true, reason: "STATIC" });
    expect(tracked.staleEvents).toBe(0);

    await target.process.signal("SIGSTOP");
    await waitFor(() => client.evaluate(CLOSED, us, false).reason === "STALE", 30_000, "the fail-closed flag to go stale");
    // A default of true does not lift the block: the flag's offVariant is served, not the caller's default.
    expect(client.evaluate(CLOSED, us, true)).toEqual({ value: false, variant: "off", reason: "STALE" });
    expect(client.isEnabled(CLOSED, us, true)).toBe(false);
    expect(client.firstAvailable([CLOSED, OPEN], us)).toBe(OPEN);
    expect(client.evaluate(OPEN, us, false)).toMatchObject({ value: true, variant: "on", reason: "CACHED" });
    expect(client.evaluate(OPEN, fr, true)).toMatchObject({ value: false, variant: "off", reason: "CACHED", ruleId: "no-fr" });
    // Evaluation measures the silence itself; the `stale` event comes from a timer, which a busy machine can run late.
    await waitFor(() => tracked.staleEvents > 0, 5_000, "the stale event");
    expect(tracked.staleEvents).toBe(1);

    await target.process.signal("SIGCONT");
    await waitFor(() => client.evaluate(CLOSED, us, false).reason === "STATIC", 30_000, "the client to be fresh again");
    expect(client.evaluate(OPEN, fr, true)).toMatchObject({ value: false, reason: "TARGETING_MATCH" });
    expect(tracked.readyEvents).toBeGreaterThanOrEqual(2);
    // The service is reachable again for real: a change made now reaches the client.
    const kill = await api("POST", `/v1/envs/production/flags/${OPEN}/kill`, { key: t.operator, json: { reason: "after the outage" } });
    expect(kill.status).toBe(200);
    await waitFor(() => client.version >= kill.body.version, 30_000, "the kill to reach the client");
    expect(client.evaluate(OPEN, us, true)).toMatchObject({ value: false, reason: "DISABLED" });
  },
  90_000,
);
