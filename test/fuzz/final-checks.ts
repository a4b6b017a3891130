/**
 * The oracle at the end of a run: each tenant's audit chain verifies; a fresh
 * SDK's snapshot of production equals the state read through the admin API;
 * every flag in it compiles in the SDK (the service never accepted a config the
 * evaluator refuses); and an SDK connected through the whole run holds the same.
 */
import { Ruleset, type KillswitchClient, type Segment, type SnapshotStorage, type WireFlag } from "@killswitch/sdk";
import { checkFlag } from "@killswitch/sdk/validate.js";
// The entry a Node application gets (ws on Node 20), as in the e2e suite.
import { createClient } from "@killswitch/sdk/node.js";
import { isDeepStrictEqual } from "node:util";
import type { Failure } from "./oracle.js";
import type { World } from "./world.js";

interface SdkState {
  version: number;
  flags: Record<string, WireFlag>;
  segments: Record<string, Segment>;
}

/** An SDK client whose persisted snapshot (its public cache hook) shows what it holds. */
export interface WatchedClient {
  client: KillswitchClient;
  /** The last snapshot it persisted. */
  state(): SdkState | undefined;
}

export function watchedClient(world: World, app: string): WatchedClient {
  let saved: string | undefined;
  const cache: SnapshotStorage = { get: () => null, set: (_key, value) => void (saved = value) };
  const client = createClient({ url: world.target.baseUrl, sdkKey: world.a.sdk, app, cache });
  return { client, state: () => (saved === undefined ? undefined : toState(saved)) };
}

/**
 * The state a persisted cache holds: its lines after the `{k, at}` header are frames as
 * received (key announcements, the last snapshot or poll body, the patches since),
 * replayed here in order.
 */
function toState(saved: string): SdkState | undefined {
  type Frame = { t?: string; v?: number; version?: number; flags: Record<string, WireFlag>; segments: Record<string, Segment>; removed: { flags: string[]; segments: string[] } };
  let state: SdkState | undefined;
  for (const line of saved.split("\n").slice(1)) {
    const m = JSON.parse(line) as Frame;
    if (m.flags === undefined) continue; // heartbeats and key announcements carry no state
    if (m.t !== "patch") {
      state = { version: (m.v ?? m.version)!, flags: { ...m.flags }, segments: { ...m.segments } };
    } else if (state) {
      Object.assign(state.flags, m.flags);
      Object.assign(state.segments, m.segments);
      for (const key of m.removed.flags) delete state.flags[key];
      for (const key of m.removed.segments) delete state.segments[key];
      state.version = m.v!;
    }
  }
  return state;
}

async function until<T>(what: string, read: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function all<T>(world: World, path: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const res = await world.api("GET", `${path}?limit=500${cursor ? `&cursor=${cursor}` : ""}`, { key: world.a.viewer });
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor !== undefined);
  return items;
}

/** Production as the admin API shows it, in the SDK's shapes. */
async function adminView(world: World): Promise<Omit<SdkState, "version">> {
  const flags: Record<string, WireFlag> = {};
  for (const flag of await all<{ key: string; kind: WireFlag["kind"]; variants: WireFlag["variants"] }>(world, "/v1/flags")) {
    const config = await world.api("GET", `/v1/envs/production/flags/${encodeURIComponent(flag.key)}`, { key: world.a.viewer });
    flags[flag.key] = { ...config.body, key: flag.key, kind: flag.kind, variants: flag.variants };
  }
  const segments: Record<string, Segment> = {};
  for (const segment of await all<Segment>(world, "/v1/envs/production/segments")) segments[segment.key] = segment;
  return { flags, segments };
}

/** A flag whose one rule names `segment`: it compiles exactly when the segment does. */
function probeFlag(segment: string): WireFlag {
  return {
    key: "fuzz.probe",
    kind: "boolean",
    variants: { on: true, off: false },
    enabled: true,
    offVariant: "off",
    rules: [{ id: "probe", when: [{ segment: [segment] }], serve: { variant: "off" } }],
    fallthrough: { variant: "on" },
    failMode: "open",
    version: 0,
  };
}

async function auditEntry(world: World, key: string, seq: number): Promise<unknown> {
  const cursor = btoa(JSON.stringify([seq + 1])).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const res = await world.api("GET", `/v1/audit?limit=1&cursor=${cursor}`, { key });
  return res.body?.items?.[0];
}

export async function finalChecks(world: World, watcher: WatchedClient): Promise<Failure[]> {
  const failures: Failure[] = [];
  for (const [name, key] of [["A", world.a.viewer], ["B", world.b.viewer]] as const) {
    const verify = await world.api("GET", "/v1/audit/verify", { key });
    if (verify.status !== 200 || verify.body.ok !== true) {
      // The entry that broke the chain says which request wrote it (the list is newest first: start just after it).
      const broken = typeof verify.body?.brokenAt === "number" ? await auditEntry(world, key, verify.body.brokenAt) : undefined;
      failures.push({ check: "verify", detail: `tenant ${name}: ${verify.status} ${JSON.stringify(verify.body)}${broken ? `\nentry: ${JSON.stringify(broken)}` : ""}` });
    }
  }

  const fresh = watchedClient(world, "fuzz-fresh");
  try {
    if ((await fresh.client.ready({ timeoutMs: 20_000 })) !== "ready") throw new Error("a fresh SDK client did not get a snapshot");
    const snapshot = await until("the fresh client's snapshot", () => {
      const state = fresh.state();
      return state !== undefined && state.version === fresh.client.version ? state : undefined;
    });
    const admin = await adminView(world);
    if (!isDeepStrictEqual({ flags: snapshot.flags, segments: snapshot.segments }, admin)) {
      failures.push({ check: "sdk-snapshot", detail: `a fresh SDK's snapshot differs from the admin API's state:\nsdk:   ${JSON.stringify(snapshot)}\nadmin: ${JSON.stringify(admin)}` });
    }
    const rules = new Ruleset();
    rules.load(snapshot.flags, snapshot.segments, snapshot.version);
    for (const key of rules.keys()) {
      const problem = rules.problem(key);
      if (problem === undefined) continue;
      const flag = snapshot.flags[key]!;
      const named = JSON.stringify(flag).match(/"segment":\[[^\]]*\]/g)?.flatMap((list) => JSON.parse(list.slice(10)) as string[]) ?? [];
      const segments = Object.fromEntries(named.filter((name) => snapshot.segments[name]).map((name) => [name, snapshot.segments[name]]));
      failures.push({ check: "sdk-compile", detail: `flag "${key}" does not compile in the SDK: ${problem}; config ${JSON.stringify(flag)}; segments it names ${JSON.stringify(segments)}`, subject: { flag, segments } });
    }
    // A segment no flag names yet is compiled only once one does: a probe flag names each.
    for (const [key, segment] of Object.entries(snapshot.segments)) {
      const problem = checkFlag(probeFlag(key), snapshot.segments);
      if (problem !== undefined) failures.push({ check: "sdk-compile", detail: `segment "${key}" does not compile in the SDK: ${problem}; segment ${JSON.stringify(segment)}`, subject: { segment } });
    }
    const watched = await until("the watching client to reach the fresh client's version", () => {
      const state = watcher.state();
      return state !== undefined && state.version >= snapshot.version ? state : undefined;
    });
    if (!isDeepStrictEqual(watched, snapshot)) {
      failures.push({ check: "sdk-snapshot", detail: `the SDK connected through the run holds another state than a fresh one:\nwatcher: ${JSON.stringify(watched)}\nfresh:   ${JSON.stringify(snapshot)}` });
    }
  } finally {
    await fresh.client.close();
  }
  return failures;
}
