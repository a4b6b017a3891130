/**
 * The server is killed with SIGKILL in the middle of a stream of 200 changes and
 * restarted on the same database file and port. Every SDK client must converge to
 * the last version without skipping any change silently:
 *
 * - the versions a client applies (its `change` events) strictly increase;
 * - each step from version a to version b was either a patch the client received
 *   with `prev: a, v: b`, or a snapshot of version b (a resync or a resume that the
 *   change log could not serve) — never a patch whose `prev` it did not hold
 *   (checked on the clients whose frames are recorded);
 * - a client that loses a patch on the way (some clients' network drops one patch
 *   before the kill and one after the restart) heals the gap with a snapshot;
 * - at the end its version is the server's snapshot version, and it evaluates
 *   every flag, for several contexts, exactly as the server does.
 */
import type { ServerMessage } from "@killswitch/sdk";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Api } from "../support/api.js";
import { startWithTenant } from "../support/contract-tenant.js";
import type { TestTenant } from "../support/tenants.js";
import { closeClients, tappedWebSocket, trackedClient, type TrackedClient } from "./support/sdk-clients.js";
import { startProcessTarget, type ProcessTarget } from "./support/process-target.js";
import { waitFor } from "./support/wait-for.js";

const CLIENTS = 16;
const CHANGES = 200;
const KILL_AT = 100;
const FLAGS = ["model.a", "model.b", "model.c", "model.d", "model.e"];
const SEGMENT = "embargoed";
const COUNTRIES = ["US", "FR", "DE", "CN", "GB", "IN", "BR", "JP"];
const CONTEXTS = [
  { key: "u-us", nationality: "US" },
  { key: "u-fr", nationality: "FR" },
  { key: "u-de", nationality: "DE" },
  { key: "u-cn", nationality: "CN" },
  { key: "u-none" },
  { key: "u-us-fr", nationality: ["US", "FR"] },
  { key: "u-de-jp", nationality: ["DE", "JP"] },
];

let target: ProcessTarget;
let api: Api;
let t: TestTenant;

beforeAll(async () => {
  ({ target, api, t } = await startWithTenant(startProcessTarget));
  for (const key of FLAGS) expect((await api("POST", "/v1/flags", { key: t.admin, json: { key, kind: "boolean" } })).status).toBe(201);
  const segment = await api("PUT", `/v1/envs/production/segments/${SEGMENT}`, {
    key: t.operator,
    json: { rules: [{ when: [{ attribute: "nationality", op: "in", values: ["CN"] }] }], reason: "e2e set-up" },
  });
  expect(segment.status).toBe(201);
});

afterAll(async () => {
  await closeClients();
  await target?.close();
});

/** Change i of the stream: every tenth moves the segment, the others rewrite one flag's config. */
function change(i: number): Promise<{ status: number }> {
  const country = COUNTRIES[i % COUNTRIES.length]!;
  if (i % 10 === 9) {
    return api("PUT", `/v1/envs/production/segments/${SEGMENT}`, {
      key: t.operator,
      json: { rules: [{ when: [{ attribute: "nationality", op: "in", values: [country, COUNTRIES[(i + 3) % COUNTRIES.length]!] }] }], reason: `change ${i}` },
    });
  }
  return api("PUT", `/v1/envs/production/flags/${FLAGS[i % FLAGS.length]}`, {
    key: t.operator,
    json: {
      enabled: i % 7 !== 3,
      offVariant: "off",
      rules: [
        { id: "by-country", when: [{ attribute: "nationality", op: i % 2 ? "in" : "notIn", values: [country] }], serve: { variant: "off" } },
        { id: "embargo", when: [{ segment: [SEGMENT] }], serve: { variant: "off" } },
      ],
      fallthrough: { variant: "on" },
      reason: `change ${i}`,
    },
  });
}

/** Steps of `versions` that neither a patch with the right `prev` nor a snapshot explains. */
function unexplainedSteps(versions: number[], frames: ServerMessage[]): string[] {
  const snapshots = new Set(frames.filter((m) => m.t === "snapshot").map((m) => m.v));
  const patches = new Set(frames.flatMap((m) => (m.t === "patch" ? [`${m.prev}->${m.v}`] : [])));
  const bad: string[] = [];
  versions.forEach((v, i) => {
    const prev = i === 0 ? -1 : versions[i - 1]!;
    if (!snapshots.has(v) && !patches.has(`${prev}->${v}`)) bad.push(`${prev}->${v}`);
  });
  return bad;
}

it(
  "converges every client to the last version across a SIGKILL and restart, skipping nothing silently",
  async () => {
    const base: number = (await api("GET", "/v1/snapshot", { key: t.sdk })).body.version;
    // Lossy clients lose one live patch (v = prev + 1) in each of these version ranges, if they receive one there:
    // one before the kill, one after the restart (a client may come back too late for it). Changes follow each range.
    const dropRanges = [
      [base + 40, base + 60],
      [base + KILL_AT + 40, base + KILL_AT + 60],
    ] as const;
    const frames = new Map<TrackedClient, ServerMessage[]>();
    const dropped = new Map<TrackedClient, number[]>();
    const clients = Array.from({ length: CLIENTS }, (_, i) => {
      const log: ServerMessage[] = [];
      const lost: number[] = [];
      const lossy = i % 4 === 0;
      const drop = (m: ServerMessage): boolean => {
        if (!lossy || m.t !== "patch" || m.v !== m.prev + 1) return false;
        const range = dropRanges.find(([from, to]) => m.v >= from && m.v <= to);
        if (!range || lost.some((v) => v >= range[0] && v <= range[1])) return false;
        lost.push(m.v);
        return true;
      };
      // Half the clients offer the key as a subprotocol, through a tap that records frames; the other half send it as a header.
      const WebSocket = i % 2 === 0 ? tappedWebSocket({ record: (m) => log.push(m), drop }) : undefined;
      // A short backoff base keeps the test short; the spread of the real base is tested in reconnect-spread.test.ts.
      const tracked = trackedClient({ url: target.baseUrl, sdkKey: t.sdk, app: "e2e-restart", reconnectDelayMs: 200, WebSocket });
      if (WebSocket) frames.set(tracked, log);
      if (lossy) dropped.set(tracked, lost);
      return tracked;
    });
    expect(await Promise.all(clients.map(({ client }) => client.ready({ timeoutMs: 20_000 })))).toEqual(Array(CLIENTS).fill("ready"));

    let killedAt = -1;
    for (let i = 0; i < CHANGES; i++) {
      if (i === KILL_AT) {
        // Killed while change i is in flight: it may or may not have committed; it is sent again after the restart.
        const inFlight = change(i).catch(() => undefined);
        await target.process.signal("SIGKILL");
        await inFlight;
        killedAt = Math.max(...clients.map(({ client }) => client.version));
        await target.start();
      }
      const res = await change(i);
      expect(res.status, `change ${i}`).toBeLessThan(300);
    }

    const snapshot = await api("GET", "/v1/snapshot", { key: t.sdk });
    expect(snapshot.status).toBe(200);
    const last: number = snapshot.body.version;
    expect(last).toBeGreaterThanOrEqual(killedAt + CHANGES - KILL_AT);
    await waitFor(
      () => clients.every(({ client }) => client.version === last),
      40_000,
      () => `every client at version ${last}; at ${clients.map(({ client }) => client.version).join(", ")}`,
    );

    for (const tracked of clients) {
      const { versions, errors } = tracked;
      // It lost its connection to the kill, and applied changes on both sides of it.
      expect(errors.length).toBeGreaterThan(0);
      expect(versions.some((v) => v > base && v <= killedAt)).toBe(true);
      expect(versions.at(-1)).toBe(last);
      expect(last).toBeGreaterThan(killedAt);
      for (let i = 1; i < versions.length; i++) expect(versions[i]).toBeGreaterThan(versions[i - 1]!);
      const log = frames.get(tracked);
      if (log) expect(unexplainedSteps(versions, log)).toEqual([]);
    }
    expect(frames.size).toBe(CLIENTS / 2);
    expect(dropped.size).toBe(CLIENTS / 4);
    for (const [tracked, lost] of dropped) {
      // Each lost patch opened a gap that only a snapshot closed: the first one, and one more per loss at least.
      expect(lost.length).toBeGreaterThanOrEqual(1);
      const snapshots = frames.get(tracked)!.filter((m) => m.t === "snapshot").length;
      expect(snapshots).toBeGreaterThanOrEqual(1 + lost.length);
    }

    // The server's own evaluation of its final state, context by context, against every client's.
    for (const context of CONTEXTS) {
      const res = await api("POST", "/v1/envs/production/evaluate", { key: t.viewer, json: { context } });
      expect(res.status).toBe(200);
      expect(res.body.version).toBe(last);
      const expected = Object.fromEntries(
        res.body.flags.map((f: { flag: string; result: { value: boolean; variant: string; reason: string } }) => [
          f.flag,
          { value: f.result.value, variant: f.result.variant, reason: f.result.reason },
        ]),
      );
      expect(Object.keys(expected).sort()).toEqual([...FLAGS].sort());
      for (const { client } of clients) {
        const got = Object.fromEntries(
          FLAGS.map((flag) => {
            const { value, variant, reason } = client.evaluate(flag, context, true);
            return [flag, { value, variant, reason }];
          }),
        );
        expect(got, JSON.stringify(context)).toEqual(expected);
      }
    }

    // And they are connected again, not only polling: the restarted server lists all of them.
    await waitFor(
      async () => (await api("GET", "/v1/envs/production/instances", { key: t.viewer })).body.total === CLIENTS,
      30_000,
      "every client connected to the restarted server",
    );
  },
  120_000,
);
