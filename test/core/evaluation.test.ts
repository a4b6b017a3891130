/**
 * The server's evaluation path (src/core/evaluation): the ruleset cache, the OFREP
 * mapping and explain. The SDK's conformance cases run through it too, so the
 * server can never serve what the SDK would not.
 */
import type { EvaluationContext, Segment, WireFlag } from "@killswitch/sdk";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR as actor } from "../../src/core/actor.js";
import type { CommittedChange } from "../../src/core/broadcaster.js";
import { explainFlags } from "../../src/core/evaluation/explain-flags.js";
import { etagMatches, ofrepAnswer, ofrepBulk, ofrepBulkEtag, ofrepContext } from "../../src/core/evaluation/ofrep.js";
import { RulesetCache, type RulesetSource } from "../../src/core/evaluation/ruleset-cache.js";
import { storeRulesetSource } from "../../src/core/evaluation/store-source.js";
import { notFound } from "../../src/core/problem.js";
import { caseClock, caseFlagKey, comparable, conformance, type ConformanceCase } from "../../sdk/test/conformance/load.js";
import { boolFlag } from "../../sdk/test/support/flags.js";
import { openTempStore, type TempStore } from "../support/temp-db.js";

/** An in-memory source over one environment per tenant, counting every read. */
class FakeSource implements RulesetSource {
  version = 1;
  flags: Record<string, WireFlag> = {};
  segments: Record<string, Segment> = {};
  /** The change log; null makes changesSince say it cannot replay. */
  log: CommittedChange[] | null = [];
  reads = { version: 0, snapshot: 0, changes: 0 };

  async envVersion(_tenantId: string, env: string): Promise<number> {
    this.reads.version++;
    if (env !== "production") throw notFound(`No environment "${env}".`);
    return this.version;
  }

  async snapshot() {
    this.reads.snapshot++;
    return { version: this.version, flags: structuredClone(this.flags), segments: structuredClone(this.segments) };
  }

  async changesSince(_tenantId: string, _env: string, since: number): Promise<CommittedChange[] | null> {
    this.reads.changes++;
    return this.log === null ? null : this.log.filter((change) => change.version > since);
  }

  /** Commits one flag change: new state, a log row, a version bump. */
  commitFlag(flag: WireFlag): void {
    const prev = this.version++;
    this.flags[flag.key] = { ...flag, version: this.version };
    this.log?.push({
      tenantId: "t1",
      env: "production",
      version: this.version,
      prev,
      committedAt: 0,
      flags: { [flag.key]: this.flags[flag.key]! },
      segments: {},
      removed: { flags: [], segments: [] },
    });
  }
}

describe("RulesetCache", () => {
  let source: FakeSource;
  let cache: RulesetCache;
  beforeEach(() => {
    source = new FakeSource();
    source.flags["model.fable-5"] = boolFlag("model.fable-5");
    cache = new RulesetCache(source);
  });

  it("compiles an environment once and then reads only its version while it is unchanged", async () => {
    const first = await cache.get("t1", "production");
    for (let i = 0; i < 5; i++) expect(await cache.get("t1", "production")).toBe(first);
    expect(source.reads).toEqual({ version: 6, snapshot: 1, changes: 0 });
    expect(first.resolve("model.fable-5", {}).value).toBe(true);
  });

  it("applies a new version from the change log to the cached ruleset, without a snapshot", async () => {
    const first = await cache.get("t1", "production");
    source.commitFlag(boolFlag("model.fable-5", { enabled: false }));
    const next = await cache.get("t1", "production");
    expect(next).toBe(first);
    expect(next.version).toBe(2);
    expect(next.resolve("model.fable-5", {})).toMatchObject({ value: false, reason: "DISABLED" });
    expect(source.reads).toMatchObject({ snapshot: 1, changes: 1 });
  });

  it("loads a snapshot when the change log cannot replay the gap", async () => {
    await cache.get("t1", "production");
    source.log = null;
    source.commitFlag(boolFlag("model.fable-5", { enabled: false }));
    const next = await cache.get("t1", "production");
    expect(next.resolve("model.fable-5", {}).reason).toBe("DISABLED");
    expect(source.reads).toMatchObject({ snapshot: 2, changes: 1 });
  });

  it("loads a snapshot when the changes do not follow the cached version", async () => {
    await cache.get("t1", "production");
    source.commitFlag(boolFlag("model.fable-5", { enabled: false }));
    source.log![0]!.prev = 7;
    expect((await cache.get("t1", "production")).resolve("model.fable-5", {}).reason).toBe("DISABLED");
    expect(source.reads.snapshot).toBe(2);
  });

  it("refreshes once for any number of concurrent requests", async () => {
    const all = await Promise.all(Array.from({ length: 20 }, () => cache.get("t1", "production")));
    expect(new Set(all).size).toBe(1);
    expect(source.reads.snapshot).toBe(1);
  });

  it("rejects an unknown environment without keeping anything for it", async () => {
    await expect(cache.get("t1", "nowhere")).rejects.toMatchObject({ kind: "notFound" });
    expect(cache.size).toBe(0);
  });

  it("keeps at most maxEntries environments, dropping the least recently used", async () => {
    const loads: string[] = [];
    const small = new RulesetCache(
      {
        envVersion: async () => 1,
        snapshot: async (tenantId) => {
          loads.push(tenantId);
          return { version: 1, flags: { [tenantId]: boolFlag(tenantId) }, segments: {} };
        },
        changesSince: async () => null,
      },
      { maxEntries: 2 },
    );
    const a = await small.get("a", "production");
    await small.get("b", "production");
    expect(await small.get("a", "production")).toBe(a); // a is now the most recently used
    await small.get("c", "production"); // drops b
    expect(small.size).toBe(2);
    expect(await small.get("a", "production")).toBe(a);
    expect(loads).toEqual(["a", "b", "c"]);
    await small.get("b", "production"); // compiled again, dropping c
    expect(loads).toEqual(["a", "b", "c", "b"]);
    expect(small.size).toBe(2);
  });

  it("reads currentTime from the clock it is given", async () => {
    source.flags["model.fable-5"] = boolFlag("model.fable-5", {
      rules: [{ id: "r1", when: [{ attribute: "currentTime", op: "after", values: ["2030-01-01T00:00:00Z"] }], serve: { variant: "off" } }],
    });
    let now = Date.parse("2029-12-31T23:59:59Z");
    const clocked = new RulesetCache(source, { now: () => now });
    const ruleset = await clocked.get("t1", "production");
    expect(ruleset.resolve("model.fable-5", {}).value).toBe(true);
    now = Date.parse("2030-01-01T00:00:01Z");
    expect(ruleset.resolve("model.fable-5", {}).value).toBe(false);
  });
});

describe("the ruleset cache over a real store", () => {
  let temp: TempStore;
  let tenantId: string;
  beforeEach(async () => {
    temp = await openTempStore();
    tenantId = (await temp.store.createTenant({ name: "t" })).tenant.id;
    await temp.store.createFlag(tenantId, actor, { key: "model.fable-5", kind: "boolean" });
  });
  afterEach(() => temp.close());

  it("serves a kill, a block and a flag deletion on the next read, from the same compiled ruleset", async () => {
    const cache = new RulesetCache(storeRulesetSource(temp.store));
    const ruleset = await cache.get(tenantId, "production");
    expect(ruleset.resolve("model.fable-5", { key: "u1" })).toMatchObject({ value: true, reason: "STATIC" });

    await temp.store.putSegment(tenantId, actor, "production", "foreign", {
      reason: "test",
      include: [],
      exclude: [],
      rules: [{ when: [{ attribute: "nationality", op: "notIn", values: ["US"] }] }],
    });
    await temp.store.blockFlag(tenantId, actor, "production", "model.fable-5", { reason: "directive", segment: "foreign" });
    expect(await cache.get(tenantId, "production")).toBe(ruleset);
    expect(ruleset.resolve("model.fable-5", { key: "u1", nationality: "FR" })).toMatchObject({ value: false, reason: "TARGETING_MATCH" });
    expect(ruleset.resolve("model.fable-5", { key: "u1", nationality: "US" }).value).toBe(true);

    await temp.store.killFlag(tenantId, actor, "production", "model.fable-5", { reason: "directive" });
    await cache.get(tenantId, "production");
    expect(ruleset.resolve("model.fable-5", { key: "u1", nationality: "US" })).toMatchObject({ value: false, reason: "DISABLED" });

    await temp.store.deleteFlag(tenantId, actor, "model.fable-5", { reason: "retired" });
    await cache.get(tenantId, "production");
    expect(ruleset.resolve("model.fable-5", {}).errorCode).toBe("FLAG_NOT_FOUND");
    expect(ruleset.version).toBe((await temp.store.getEnvironment(tenantId, "production")).version);
  });

  it("rejects another tenant's environment as not found", async () => {
    const other = (await temp.store.createTenant({ name: "other" })).tenant.id;
    await temp.store.createEnvironment(other, actor, { key: "qa" });
    const cache = new RulesetCache(storeRulesetSource(temp.store));
    await expect(cache.get(tenantId, "qa")).rejects.toMatchObject({ kind: "notFound" });
  });
});

describe("OFREP mapping", () => {
  it("reads targetingKey as the context's key, over a key attribute", () => {
    expect(ofrepContext({ targetingKey: "u1", region: "US" })).toEqual({ targetingKey: "u1", key: "u1", region: "US" });
    expect(ofrepContext({ targetingKey: "u1", key: "other" }).key).toBe("u1");
    expect(ofrepContext({ key: "u2" })).toEqual({ key: "u2" });
  });

  it("answers success, FLAG_NOT_FOUND (404) and PARSE_ERROR (400) in OFREP's shapes", () => {
    expect(ofrepAnswer("f", { value: true, variant: "on", reason: "TARGETING_MATCH", ruleId: "r1" }, boolFlag("f", { version: 7 }))).toEqual({
      status: 200,
      body: { key: "f", value: true, variant: "on", reason: "TARGETING_MATCH", metadata: { version: 7, ruleId: "r1" } },
    });
    expect(ofrepAnswer("f", { value: null, reason: "ERROR", errorCode: "FLAG_NOT_FOUND" }, undefined)).toEqual({
      status: 404,
      body: { key: "f", errorCode: "FLAG_NOT_FOUND", errorDetails: 'Flag "f" was not found.' },
    });
    expect(ofrepAnswer("f", { value: null, reason: "ERROR", errorCode: "PARSE_ERROR", errorMessage: "bad" }, boolFlag("f"))).toEqual({
      status: 400,
      body: { key: "f", errorCode: "PARSE_ERROR", errorDetails: "bad" },
    });
  });

  it("evaluates every flag in bulk by key, with per-flag errors inside the answer", async () => {
    const source = new FakeSource();
    source.flags = {
      "b-flag": boolFlag("b-flag", { enabled: false }),
      "a-broken": boolFlag("a-broken", { fallthrough: { variant: "missing" } }),
    };
    const ruleset = await new RulesetCache(source).get("t1", "production");
    expect(ofrepBulk(ruleset, { key: "u1" })).toEqual({
      flags: [
        { key: "a-broken", errorCode: "PARSE_ERROR", errorDetails: expect.any(String) },
        { key: "b-flag", value: false, variant: "off", reason: "DISABLED", metadata: { version: 1 } },
      ],
      metadata: { version: 1 },
    });
  });

  it("gives the bulk ETag a new value for a new version, a changed context or a changed answer, and only then", async () => {
    const base = await ofrepBulkEtag(3, { key: "u1", region: "US" }, "{}");
    expect(await ofrepBulkEtag(3, { region: "US", key: "u1" }, "{}")).toBe(base);
    expect(await ofrepBulkEtag(4, { key: "u1", region: "US" }, "{}")).not.toBe(base);
    expect(await ofrepBulkEtag(3, { key: "u1", region: "CA" }, "{}")).not.toBe(base);
    expect(await ofrepBulkEtag(3, { key: "u1", region: "US" }, "[]")).not.toBe(base);
    expect(base).toMatch(/^"3-[0-9a-f]{32}"$/);
  });

  it("matches If-None-Match lists and weak tags", () => {
    expect(etagMatches('"a", W/"3-x"', '"3-x"')).toBe(true);
    expect(etagMatches('"3-y"', '"3-x"')).toBe(false);
    expect(etagMatches(undefined, '"3-x"')).toBe(false);
  });
});

describe("explain", () => {
  it("explains the listed flags in order, once each, and an unknown one as FLAG_NOT_FOUND", async () => {
    const source = new FakeSource();
    source.flags = {
      "model.fable-5": boolFlag("model.fable-5", {
        rules: [{ id: "r1", when: [{ attribute: "employer", op: "in", values: ["acme-defense"] }], serve: { variant: "off" } }],
      }),
      other: boolFlag("other"),
    };
    const ruleset = await new RulesetCache(source).get("t1", "production");
    const answer = explainFlags(ruleset, { key: "u1", employer: "initech" }, ["model.fable-5", "nope", "model.fable-5"]);
    expect(answer.map((f) => f.flag)).toEqual(["model.fable-5", "nope"]);
    expect(answer[0]).toMatchObject({
      result: { value: true, variant: "on", reason: "DEFAULT" },
      enabled: true,
      fallthrough: true,
      rules: [{ id: "r1", matched: false, failedCondition: { index: 0, detail: expect.stringContaining("initech") } }],
    });
    expect(answer[1]).toMatchObject({ result: { reason: "ERROR", errorCode: "FLAG_NOT_FOUND" }, rules: [] });
    expect(explainFlags(ruleset, {}).map((f) => f.flag)).toEqual(["model.fable-5", "other"]);
  });
});

/**
 * Every conformance case the server can meet: not the stale ones (the server reads
 * the database, so it is never stale) and not the type mismatches (OFREP has no
 * caller default; the OpenFeature provider checks the type on the client).
 */
const serverCases = conformance.cases.filter((c) => !c.silentForMs && c.expected.errorCode !== "TYPE_MISMATCH");

/** The case's context as an OFREP client sends it: its key as targetingKey. */
function asOfrepContext(context: EvaluationContext): Record<string, unknown> {
  const { key, ...rest } = context;
  return key === undefined ? rest : { targetingKey: key, ...rest };
}

async function serverRuleset(c: ConformanceCase) {
  const source: RulesetSource = {
    envVersion: async () => 1,
    snapshot: async () => ({ version: 1, flags: { [c.flag.key]: c.flag }, segments: c.segments ?? {} }),
    changesSince: async () => null,
  };
  return new RulesetCache(source, { now: caseClock(c) }).get("t1", "production");
}

describe("conformance cases through the server's evaluation path", () => {
  it("covers most of the cases", () => {
    expect(serverCases.length).toBeGreaterThan(conformance.cases.length * 0.9);
  });

  it.each(serverCases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const ruleset = await serverRuleset(c);
    const key = caseFlagKey(c);
    const context = ofrepContext(asOfrepContext(c.context));
    const { status, body } = ofrepAnswer(key, ruleset.resolve(key, context), ruleset.flag(key));
    const { errorCode, value, variant, reason, ruleId } = c.expected;
    if (errorCode === undefined) {
      expect(status).toBe(200);
      expect(body).toEqual({ key, value, variant, reason, metadata: { version: c.flag.version, ...(ruleId ? { ruleId } : {}) } });
      // Explain serves what evaluation serves.
      expect(comparable(explainFlags(ruleset, c.context, [key])[0]!.result)).toEqual(c.expected);
    } else {
      expect(status).toBe(errorCode === "FLAG_NOT_FOUND" ? 404 : 400);
      expect(body).toMatchObject({ key, errorCode });
    }
  });
});
