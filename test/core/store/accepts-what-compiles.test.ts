/**
 * Property: the admin API accepts exactly what the SDK compiles. Generated configs
 * and segments, rich in boundary instants and versions, go through the route's
 * schema and the store; every one accepted compiles in the SDK as stored, and none
 * the SDK refuses is accepted. fast-check prints the seed of a failing run.
 */
import { OPERATORS, type Segment, type WireFlag } from "@killswitch/sdk";
import { checkFlag, checkSegment, isInstant, isSemver } from "@killswitch/sdk/validate.js";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../../../src/core/actor.js";
import { ProblemError } from "../../../src/core/problem.js";
import { attributeConditionSchema } from "../../../src/core/schemas/condition.js";
import { flagConfigInputSchema } from "../../../src/core/schemas/flag-config.js";
import { segmentInputSchema } from "../../../src/core/schemas/segment.js";
import type { Store } from "../../../src/core/store/index.js";
import { openTempStore, type TempStore } from "../../support/temp-db.js";

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** Instants around every edge the parsers disagree on: Feb 29/30, hour 24, second 60, offsets, bare dates. */
const instant = fc.oneof(
  fc.constantFrom(
    "2026-02-30T00:00:00Z",
    "2026-02-29T00:00:00Z",
    "2024-02-29T23:59:59.999Z",
    "2026-01-01T24:00:00Z",
    "2026-01-01T23:59:60Z",
    "2026-06-01",
    "2026-06-31",
    "2026-06-01t00:00:00z",
    "2026-06-01 00:00+05:30",
    "2026-06-01T00:00:00+24:00",
    "2026-06-01T00:00:00",
    "0000-02-29T00:00:00Z",
    "9999-12-31T23:59:59.999999Z",
  ),
  fc
    .record({
      y: fc.integer({ min: 0, max: 9999 }),
      mo: fc.integer({ min: 0, max: 13 }),
      d: fc.integer({ min: 0, max: 32 }),
      time: fc.option(
        fc.record({
          sep: fc.constantFrom("T", "t", " "),
          h: fc.integer({ min: 0, max: 25 }),
          mi: fc.integer({ min: 0, max: 60 }),
          s: fc.option(fc.integer({ min: 0, max: 61 })),
          frac: fc.option(fc.stringMatching(/^\d{1,9}$/)),
          zone: fc.oneof(fc.constantFrom("Z", "z", ""), fc.tuple(fc.constantFrom("+", "-"), fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 60 })).map(([sg, h, m]) => `${sg}${pad(h)}:${pad(m)}`)),
        }),
      ),
    })
    .map(({ y, mo, d, time }) => {
      const date = `${pad(y, 4)}-${pad(mo)}-${pad(d)}`;
      if (time === null) return date;
      const seconds = time.s === null ? "" : `:${pad(time.s)}${time.frac === null ? "" : `.${time.frac}`}`;
      return `${date}${time.sep}${pad(time.h)}:${pad(time.mi)}${seconds}${time.zone}`;
    }),
);

/** Versions around the SDK's limits: leading zeros, `v`, 256 characters, odd pre-releases. */
const semver = fc.oneof(
  fc.constantFrom("1.2.3", "v1.2.3", "01.2.3", "1.2", "1.2.3-", "1.2.3-rc.01", "1.2.3+build.5", "1.2.3-" + "a".repeat(250), "1.2.3-" + "a".repeat(300)),
  fc
    .tuple(
      fc.constantFrom("0", "1", "10", "01", "99999999999999999999"),
      fc.constantFrom("0", "2", "00"),
      fc.constantFrom("0", "3"),
      fc.option(fc.stringMatching(/^[0-9A-Za-z.-]{0,300}$/)),
      fc.option(fc.stringMatching(/^[0-9A-Za-z.-]{0,20}$/)),
    )
    .map(([a, b, c, pre, build]) => `${a}.${b}.${c}${pre === null ? "" : `-${pre}`}${build === null ? "" : `+${build}`}`),
);

const scalar = fc.oneof(instant, semver, fc.string({ maxLength: 8 }), fc.integer({ min: -5, max: 5 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean());

const attributeCondition = fc.record(
  {
    attribute: fc.constantFrom("a", "signup", "appVersion", "nationality", "org.id", "", "a..b"),
    op: fc.constantFrom(...OPERATORS, "matches"),
    values: fc.array(scalar, { maxLength: 3 }),
  },
  { requiredKeys: ["attribute", "op"] },
);

const condition = fc.oneof({ weight: 4, arbitrary: attributeCondition }, { weight: 1, arbitrary: fc.record({ segment: fc.subarray(["s", "gone"], { minLength: 1 }) }) });

const serve = fc.oneof(
  fc.record({ variant: fc.constantFrom("on", "off", "maybe") }),
  fc.integer({ min: 0, max: 100_000 }).map((w) => ({ rollout: { bucketBy: "key", weights: { on: w, off: w === 7 ? 1 : 100_000 - w } } })),
);

const config = fc.record({
  enabled: fc.boolean(),
  offVariant: fc.constantFrom("on", "off", "maybe"),
  rules: fc.array(fc.record({ when: fc.array(condition, { maxLength: 3 }), serve }), { maxLength: 3 }),
  fallthrough: serve,
  failMode: fc.constantFrom("open", "closed"),
  reason: fc.constant("property"),
});

const segmentBody = fc.record({
  include: fc.array(fc.constantFrom("u1", "u2"), { maxLength: 2 }),
  exclude: fc.constant([] as string[]),
  rules: fc.array(fc.record({ when: fc.array(attributeCondition, { minLength: 1, maxLength: 3 }) }), { maxLength: 3 }),
  reason: fc.constant("property"),
});

let temp: TempStore;
let store: Store;
let tenantId: string;
const S: Segment = { key: "s", include: ["u1"], exclude: [], rules: [], version: 0 };

beforeAll(async () => {
  temp = await openTempStore();
  store = temp.store;
  tenantId = (await store.createTenant({ name: "property" })).tenant.id;
  for (const name of ["a", "signup", "appVersion", "org.id"]) await store.createAttribute(tenantId, SYSTEM_ACTOR, { name, list: false });
  await store.createFlag(tenantId, SYSTEM_ACTOR, { key: "f", kind: "boolean" });
  await store.putSegment(tenantId, SYSTEM_ACTOR, "production", "s", { ...S, reason: "property" });
});
afterAll(() => temp.close());

/** Through what the route does: its schema, then the store. A ProblemError is a refusal; anything else fails the property. */
async function accepted(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (error instanceof ProblemError && error.status < 500) return false;
    throw error;
  }
}

describe("the admin API accepts exactly what the SDK compiles", () => {
  it("flag configs: accepted ones compile as stored, refused-by-the-SDK ones are never accepted", async () => {
    await fc.assert(
      fc.asyncProperty(config, async (body) => {
        // As SDKs would receive it: every rule with an id.
        const wire = { key: "f", kind: "boolean", variants: { on: true, off: false }, version: 0, ...body, rules: body.rules.map((r, i) => ({ id: `r${i}`, ...r })) } as WireFlag;
        const sdkRefuses = checkFlag(wire, { s: S }) !== undefined;
        const ok = await accepted(async () => {
          const parsed = flagConfigInputSchema.safeParse(body);
          if (!parsed.success) throw new ProblemError("validation", "schema");
          await store.putFlagConfig(tenantId, SYSTEM_ACTOR, "production", "f", parsed.data);
        });
        if (ok) {
          const snapshot = await store.snapshot(tenantId, "production");
          expect(checkFlag(snapshot.flags.f!, snapshot.segments)).toBeUndefined();
        }
        if (sdkRefuses) expect(ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("segments: accepted ones compile as stored, refused-by-the-SDK ones are never accepted", async () => {
    await fc.assert(
      fc.asyncProperty(segmentBody, async (body) => {
        const sdkRefuses = checkSegment({ key: "t", version: 0, ...body } as Segment) !== undefined;
        const ok = await accepted(async () => {
          const parsed = segmentInputSchema.safeParse(body);
          if (!parsed.success) throw new ProblemError("validation", "schema");
          await store.putSegment(tenantId, SYSTEM_ACTOR, "production", "t", parsed.data);
        });
        if (ok) expect(checkSegment((await store.snapshot(tenantId, "production")).segments.t!)).toBeUndefined();
        if (sdkRefuses) expect(ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("instants and versions: a value is accepted exactly when the SDK's parser reads it", () => {
    const accepts = (op: string, value: string) => attributeConditionSchema.safeParse({ attribute: "a", op, values: [value] }).success;
    fc.assert(fc.property(instant, (value) => accepts("before", value) === isInstant(value)), { numRuns: 2000 });
    fc.assert(fc.property(semver, (value) => accepts("semverEq", value) === isSemver(value)), { numRuns: 2000 });
  });
});
