/**
 * The plain-Worker pattern of sdk/README.md (no Durable Object: poll the HTTP
 * snapshot with its ETag, evaluate with `Ruleset`) under `wrangler dev`
 * (workerd), against the real Node service. A counting proxy between the two
 * records every snapshot answer on the wire.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Api } from "../support/api.js";
import { startWithTenant } from "../support/contract-tenant.js";
import type { ContractTarget } from "../support/contract-target.js";
import type { TestTenant } from "../support/tenants.js";
import { startCountingProxy, type CountingProxy } from "./counting-proxy.js";
import { startPlainWorker, type Probe } from "./start-probe.js";

const KILLED = "model.fable-5"; // killed by the test
const OPEN = "model.sonnet"; // failMode "open" (the default): keeps serving its last rules
const CLOSED = "model.mythos-5"; // failMode "closed": off once the service is silent for its limit
const POLL_MS = 1_000;
const CLOSED_STALE_AFTER_MS = 2_000;

let target: ContractTarget;
let api: Api;
let t: TestTenant;
let proxy: CountingProxy;
let worker: Probe;
/** The same Worker pointed at a port where nothing listens: it never reaches the service. */
let orphan: Probe;

beforeAll(async () => {
  ({ target, api, t } = await startWithTenant());
  for (const key of [KILLED, OPEN, CLOSED]) {
    const created = await api("POST", "/v1/flags", { key: t.admin, json: { key, kind: "boolean" } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
  }
  const path = `/v1/envs/production/flags/${CLOSED}`;
  const current = (await api("GET", path, { key: t.viewer })).body;
  const put = await api("PUT", path, {
    key: t.operator,
    json: { ...current, failMode: "closed", staleAfterMs: CLOSED_STALE_AFTER_MS, reason: "plain worker test" },
  });
  expect(put.status, JSON.stringify(put.body)).toBe(200);

  proxy = await startCountingProxy(target.baseUrl);
  const nowhere = await startCountingProxy(target.baseUrl);
  await nowhere.close();
  [worker, orphan] = await Promise.all([
    startPlainWorker({ url: proxy.url, sdkKey: t.sdk, pollMs: POLL_MS }),
    startPlainWorker({ url: nowhere.url, sdkKey: t.sdk, pollMs: POLL_MS }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([worker?.stop(), orphan?.stop()]);
  await proxy?.close();
  await target?.close();
});

// Checked field by field below.
const evaluate = async (probe: Probe, flag: string): Promise<any> => {
  const res = await fetch(`${probe.url}/eval?flag=${flag}`, { signal: AbortSignal.timeout(20_000) });
  const body = await res.json();
  expect(res.status, `${flag}: ${JSON.stringify(body)}\n${probe.output()}`).toBe(200);
  return body;
};

/** The statuses of the snapshot answers the service gave, in order. */
const snapshotStatuses = (): number[] => proxy.answers.filter((a) => a.path === "/v1/snapshot").map((a) => a.status);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// Past the interval, with a margin for the Worker's clock (it advances at I/O only).
const pastInterval = () => sleep(POLL_MS + 250);

it("serves the service's rules, then revalidates with a 304 while nothing changed, one poll per interval", async () => {
  const first = await evaluate(worker, KILLED);
  expect(first.result).toMatchObject({ value: true, variant: "on" });
  expect(snapshotStatuses()).toEqual([200]);

  await pastInterval();
  const again = await evaluate(worker, KILLED);
  expect({ ...again, checkedAt: 0 }).toEqual({ ...first, checkedAt: 0 });
  expect(again.checkedAt).toBeGreaterThanOrEqual(first.checkedAt + POLL_MS);
  expect(snapshotStatuses()).toEqual([200, 304]);

  // Requests inside one interval share its poll: one snapshot request per interval the burst
  // reaches, never one per request. Each answer names the interval (its poll's start) that served it.
  await pastInterval(); // so the burst's first request starts an interval
  const before = snapshotStatuses().length;
  const answers: { result: { value: unknown }; checkedAt: number }[] = [];
  for (let i = 0; i < 10; i++) answers.push(await evaluate(worker, KILLED));
  for (const a of answers) expect(a.result.value).toBe(true);
  const intervals = [...new Set(answers.map((a) => a.checkedAt))];
  expect(intervals[0]).toBeGreaterThanOrEqual(again.checkedAt + POLL_MS); // the burst's first request polled
  expect(snapshotStatuses().slice(before)).toEqual(intervals.map(() => 304));
  for (let i = 1; i < intervals.length; i++) expect(intervals[i]! - intervals[i - 1]!).toBeGreaterThanOrEqual(POLL_MS);
});

it("follows a kill within the polling interval, with one new 200", async () => {
  const kill = await api("POST", `/v1/envs/production/flags/${KILLED}/kill`, { key: t.operator, json: { reason: "plain worker test" } });
  expect(kill.status, JSON.stringify(kill.body)).toBe(200);
  const before = snapshotStatuses().length;

  // The bound the README gives: a request one interval after a change sees it.
  await pastInterval();
  const off = await evaluate(worker, KILLED);
  expect(off.result).toMatchObject({ value: false, variant: "off", reason: "DISABLED" });
  expect(off.version).toBe(kill.body.version);
  expect(snapshotStatuses().slice(before)).toEqual([200]);
});

it("keeps its last rules when the service is unreachable, and a fail-closed flag goes STALE after its limit", async () => {
  await pastInterval();
  // Fresh: this request polled (a 304), so the fail-closed flag is on.
  expect((await evaluate(worker, CLOSED)).result).toMatchObject({ value: true, variant: "on" });
  expect(snapshotStatuses().at(-1)).toBe(304);
  const answered = proxy.answers.length;
  await proxy.close();

  // A failed poll is no error for the request: the last rules keep serving.
  await pastInterval();
  expect((await evaluate(worker, OPEN)).result).toMatchObject({ value: true, variant: "on" });
  expect((await evaluate(worker, KILLED)).result).toMatchObject({ value: false, reason: "DISABLED" });

  // Silent past the fail-closed flag's staleAfterMs: its offVariant, reason STALE.
  await sleep(CLOSED_STALE_AFTER_MS);
  expect((await evaluate(worker, CLOSED)).result).toEqual({ value: false, variant: "off", reason: "STALE" });
  // The fail-open flag still serves its last rules (CACHED only after the default 60 s).
  expect((await evaluate(worker, OPEN)).result).toMatchObject({ value: true, variant: "on" });
  expect(proxy.answers.length).toBe(answered);
});

it("serves the caller's default when the service was never reached", async () => {
  const body = await evaluate(orphan, KILLED);
  expect(body.version).toBe(-1);
  expect(body.result).toMatchObject({ value: false, reason: "ERROR", errorCode: "PROVIDER_NOT_READY" });
  expect(body.result.variant).toBeUndefined();
});
