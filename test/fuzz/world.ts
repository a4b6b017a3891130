/**
 * What the fuzzer plays in: tenant A, whose state it attacks, and tenant B,
 * whose ids and keys it throws at A's routes; both made through the public API.
 * The names below feed the generators (fuzz values pick from them), so that
 * random requests reach real flags, segments, rules and keys, not only 404s.
 */
import { okBody as ok, type Api } from "../support/api.js";
import type { ContractTarget } from "../support/contract-target.js";
import { createTenant, type TestTenant } from "../support/tenants.js";

export interface World {
  target: ContractTarget;
  api: Api;
  a: TestTenant;
  b: TestTenant;
  /** Values the generators pick from: names that exist in A (at the start), and `other*` ones that do not or are B's. */
  names: {
    flags: string[];
    otherFlags: string[];
    segments: string[];
    otherSegments: string[];
    envs: string[];
    otherEnvs: string[];
    otherRuleIds: string[];
    otherKeyIds: string[];
    otherCursors: string[];
    variants: string[];
    attributes: string[];
    /** Declared in A (built-ins, and `plan`), and `other*`: undeclared, or B's. */
    declared: string[];
    otherDeclared: string[];
    /** Directive refs A recorded (or its changes carry), and `other*`: B's, or none at all. */
    directives: string[];
    otherDirectives: string[];
  };
  /**
   * Grows as the run goes: ids and cursors A's answers handed out (picked by
   * index, so generation stays deterministic); cursors by the list's path.
   */
  issued: { keyIds: string[]; rules: { env: string; flag: string; id: string }[]; cursors: Record<string, string[]> };
}

export interface ChainHead {
  seq: number;
  hash: string;
}

/** What a refused request must leave alone: each tenant's audit head and environment versions. */
export interface Written {
  a: { head: ChainHead; versions: [string, number][] };
  b: { head: ChainHead; versions: [string, number][] };
}

/** A's flags and production segments, put back when a request deletes one (see replenish). */
const CORE_FLAGS = [
  { key: "model.fable-5", kind: "boolean" },
  { key: "banner.text", kind: "string", variants: { plain: "Hello", loud: "HELLO" } },
  { key: "limits", kind: "json", variants: { low: { rpm: 10 }, high: { rpm: 1000 } } },
];
const CORE_SEGMENTS: Record<string, unknown> = {
  "foreign-nationals": { rules: [{ when: [{ attribute: "nationality", op: "notIn", values: ["US"] }] }], reason: "fuzz world" },
  staff: { include: ["user-1"], rules: [{ when: [{ attribute: "employer", op: "in", values: ["acme"] }] }], reason: "fuzz world" },
};

/** A's one declared attribute beside the built-ins. */
const CORE_ATTRIBUTE = { name: "plan", type: "string" };

/**
 * Puts back the core flags and segments a request deleted, so that a long run
 * keeps reaching real entities instead of drifting into 404s. Runs between
 * requests, outside the oracle (the caller reads the state again).
 */
export async function replenish(world: World): Promise<void> {
  const { api, a } = world;
  for (const flag of CORE_FLAGS) {
    const res = await api("POST", "/v1/flags", { key: a.admin, json: flag });
    if (res.status !== 201 && res.status !== 409) throw new Error(`putting back flag ${flag.key}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  for (const [key, segment] of Object.entries(CORE_SEGMENTS)) {
    if ((await api("GET", `/v1/envs/production/segments/${key}`, { key: a.viewer })).status === 404) {
      await ok(api, a.admin, "PUT", `/v1/envs/production/segments/${key}`, segment);
    }
  }
  if ((await api("GET", "/v1/attributes/plan", { key: a.viewer })).status === 404) await ok(api, a.admin, "POST", "/v1/attributes", CORE_ATTRIBUTE);
}

export async function buildWorld(target: ContractTarget, api: Api): Promise<World> {
  const a = await createTenant(target, api, "fuzz A");
  const b = await createTenant(target, api, "fuzz B");

  await ok(api, a.admin, "POST", "/v1/envs", { key: "staging" });
  await ok(api, a.admin, "POST", "/v1/attributes", CORE_ATTRIBUTE);
  for (const flag of CORE_FLAGS) await ok(api, a.admin, "POST", "/v1/flags", flag);
  for (const [key, segment] of Object.entries(CORE_SEGMENTS)) await ok(api, a.admin, "PUT", `/v1/envs/production/segments/${key}`, segment);
  await ok(api, a.operator, "POST", "/v1/directives", { ref: "EXPORT-2026-001", title: "fuzz world", receivedAt: "2026-11-27T17:21:00Z" });
  await ok(api, a.operator, "POST", "/v1/directives", { ref: "LIFTED 2", title: "fuzz world", receivedAt: "2026-11-27T17:21:00Z" });
  const block = await ok(api, a.operator, "POST", "/v1/envs/production/flags/model.fable-5/block", {
    reason: "fuzz world",
    segment: "foreign-nationals",
    directive: "EXPORT-2026-001",
  });
  const spare = [];
  for (let i = 0; i < 3; i++) spare.push((await ok(api, a.admin, "POST", "/v1/keys", { name: `spare ${i}`, role: "viewer" })).key.id);

  await ok(api, b.admin, "POST", "/v1/envs", { key: "b-env" });
  await ok(api, b.admin, "POST", "/v1/flags", { key: "b.secret", kind: "boolean" });
  await ok(api, b.admin, "POST", "/v1/attributes", { name: "b.tier", type: "string" });
  await ok(api, b.admin, "PUT", "/v1/envs/production/segments/b-only", { include: ["b-user"], reason: "fuzz world" });
  await ok(api, b.operator, "POST", "/v1/directives", { ref: "B-ONLY-1", title: "fuzz world", receivedAt: "2026-11-27T17:21:00Z" });
  const bKey = (await ok(api, b.admin, "POST", "/v1/keys", { name: "b spare", role: "viewer" })).key.id;
  const bCursor = (await ok(api, b.viewer, "GET", "/v1/audit?limit=1")).nextCursor;

  return {
    target,
    api,
    a,
    b,
    names: {
      flags: CORE_FLAGS.map((f) => f.key),
      otherFlags: ["model.new-1", "model.new-2", "b.secret", "model.missing"],
      segments: Object.keys(CORE_SEGMENTS),
      otherSegments: ["seg.new", "b-only", "missing-seg"],
      envs: ["production", "production", "production", "staging"],
      otherEnvs: ["qa", "b-env", "nope"],
      otherRuleIds: ["r1", "r2", "missing-rule"],
      otherKeyIds: [bKey, "key_aaaaaaaaaaaa"],
      otherCursors: [bCursor, "WzFlOTk5XQ", "garbage", "W10"],
      variants: ["on", "off", "plain", "loud", "low", "high", "a", "missing"],
      attributes: ["nationality", "region", "employer", "key", "currentTime", "org.country", "signup", "version", "nationalty"],
      declared: ["nationality", "employer", "currentTime", "plan", "plan"],
      otherDeclared: ["b.tier", "nationalty", "missing.attribute"],
      directives: ["EXPORT-2026-001", "LIFTED 2"],
      otherDirectives: ["B-ONLY-1", "MISSING-9"],
    },
    issued: { keyIds: spare, rules: [{ env: "production", flag: "model.fable-5", id: block.ruleId }], cursors: {} },
  };
}

async function written1(api: Api, viewer: string): Promise<Written["a"]> {
  const [audit, envs] = await Promise.all([api("GET", "/v1/audit?limit=1", { key: viewer }), api("GET", "/v1/envs?limit=500", { key: viewer })]);
  if (audit.status !== 200 || envs.status !== 200) throw new Error(`reading the state failed: ${audit.status} ${envs.status}`);
  const head = audit.body.items[0];
  return {
    head: { seq: head.seq, hash: head.hash },
    versions: envs.body.items.map((e: { key: string; version: number }) => [e.key, e.version]),
  };
}

export async function writtenState(world: World): Promise<Written> {
  const [a, b] = await Promise.all([written1(world.api, world.a.viewer), written1(world.api, world.b.viewer)]);
  return { a, b };
}
