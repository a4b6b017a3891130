/**
 * Values for the fuzzer: JSON built from the document's schemas, biased towards
 * the world's names (so a random block can name a real segment and a random
 * condition a real attribute), then often broken on purpose (hostile.ts).
 */
import fc from "fast-check";
import { stringFault } from "../../src/core/json-input.js";
import type { Schema, ServiceDocument } from "./operations.js";
import type { World } from "./world.js";

/**
 * Values by the operators they suit: good ones, and ones just past the edge
 * (issue 11's Feb 30 and long pre-release among them). A condition gets good
 * values and now and then one edge value, so that the edge is the only thing
 * a route could refuse it for.
 */
const VALUES_BY_OP: Record<string, { good: unknown[]; edge: unknown[] }> = {
  in: { good: ["acme", "user-1", "initech"], edge: ["", 18, true] },
  coded: { good: ["US", "FR", "IR", "GB-ENG"], edge: ["us", "USA", "U S", 18] },
  startsWith: { good: ["a", "acme", "user-"], edge: ["", 1] },
  lt: { good: [18, 0, -1, 1.5], edge: ["18", 1e308, -0] },
  semverLt: { good: ["1.2.3", "1.2.3-beta.1", "0.0.0", "1.2.3+build.5"], edge: [`1.2.3-${"a".repeat(250)}`, `1.2.3-${"a".repeat(300)}`, "v1.2.3", "01.2.3", "1.2", "1.2.3-"] },
  before: {
    good: ["2026-01-01T00:00:00Z", "2026-01-01T00:00:00.123+14:00", "2030-06-01T12:00:00Z"],
    edge: ["2026-02-30T00:00:00Z", "2026-02-29T00:00:00Z", "2026-01-01T24:00:00Z", "2026-12-31T23:59:60Z", "2026-01-01", "2026-13-01T00:00:00Z", "+202026-01-01T00:00:00Z"],
  },
};
const OP_FAMILY: Record<string, string> = {
  in: "in", notIn: "in", startsWith: "startsWith", endsWith: "startsWith", contains: "startsWith",
  lt: "lt", lte: "lt", gt: "lt", gte: "lt", semverLt: "semverLt", semverGt: "semverLt", semverEq: "semverLt", before: "before", after: "before",
};
const CONDITION_VALUES = Object.values(VALUES_BY_OP).flatMap(({ good, edge }) => [...good, ...edge]);

/** Good values for one family, one of them replaced by an edge value a third of the time. */
function valuesFor(family: string): fc.Arbitrary<unknown[]> {
  const { good, edge } = VALUES_BY_OP[family]!;
  const values = fc.array(fc.constantFrom(...good), { minLength: 1, maxLength: 3 });
  return fc.tuple(values, fc.option(fc.tuple(fc.constantFrom(...edge), fc.nat()), { freq: 3, nil: undefined })).map(([list, swap]) => {
    if (swap === undefined) return list;
    const copy = [...list];
    copy[swap[1] % copy.length] = swap[0];
    return copy;
  });
}

/** An attribute condition whose values suit its operator, but for an edge value now and then. */
function conditionArb(attributes: string[]): fc.Arbitrary<Record<string, unknown>> {
  // Each family of operators as often as another (four comparisons would otherwise drown the two instants),
  // and instants and versions twice as often: their parsers are where the service and the SDK could disagree.
  const families = [...new Set(Object.values(OP_FAMILY)), "before", "semverLt", "exists"];
  const opOf = (family: string) => fc.constantFrom(...(family === "exists" ? ["exists", "missing"] : Object.keys(OP_FAMILY).filter((op) => OP_FAMILY[op] === family)));
  return fc.constantFrom(...attributes).chain((attribute) => {
    // The service takes only ISO 3166 codes on these.
    const coded = /(^|\.)(nationality|region)$/.test(attribute);
    const family = coded ? fc.constantFrom("coded", "coded", "coded", "exists") : fc.constantFrom(...families);
    return family.chain((f) =>
      (f === "coded" ? fc.constantFrom("in", "notIn") : opOf(f)).chain((op) =>
        f === "exists" ? fc.constant({ attribute, op }) : valuesFor(f).map((values) => ({ attribute, op, values })),
      ),
    );
  });
}

export function namedPools(world: World): Record<string, fc.Arbitrary<unknown>> {
  const { names } = world;
  // Mostly segments that exist: a rule naming one that does not is refused whatever else it holds.
  const segment = fc.oneof({ arbitrary: fc.constantFrom(...names.segments), weight: 6 }, { arbitrary: fc.constantFrom(...names.otherSegments), weight: 1 });
  return {
    key: fc.constantFrom(...names.flags, ...names.otherFlags, ...names.segments, ...names.otherSegments),
    env: fc.constantFrom(...names.envs, ...names.otherEnvs),
    offVariant: fc.constantFrom(...names.variants),
    variant: fc.constantFrom(...names.variants),
    // A list: a segment condition takes only a list, a block either.
    segment: fc.array(segment, { minLength: 1, maxLength: 2 }),
    attribute: fc.constantFrom(...names.attributes),
    values: fc.array(fc.constantFrom(...CONDITION_VALUES), { minLength: 1, maxLength: 4 }),
    "#AttributeCondition": conditionArb(names.attributes),
    id: fc.constantFrom("r1", "r2", "block-1"),
    bucketBy: fc.constantFrom("key", "employer", "missing"),
    weights: fc.oneof(
      { arbitrary: fc.constantFrom({ on: 10_000, off: 90_000 }, { plain: 50_000, loud: 50_000 }, { low: 100_000 }, { high: 99_999, low: 1 }), weight: 4 },
      { arbitrary: fc.dictionary(fc.constantFrom(...names.variants), fc.integer({ min: -1, max: 100_001 }), { maxKeys: 3 }), weight: 1 },
    ),
    staleAfterMs: fc.constantFrom(999, 1000, 60_000, 604_800_000, 604_800_001),
    version: fc.constantFrom(0, 1, 2, 5, 1e9),
    include: fc.array(fc.constantFrom("user-1", "user-2", "b-user"), { maxLength: 3 }),
    exclude: fc.array(fc.constantFrom("user-1", "user-2"), { maxLength: 3 }),
    context: fc.dictionary(
      fc.constantFrom(...names.attributes, "targetingKey"),
      fc.oneof(fc.constantFrom(...CONDITION_VALUES), fc.integer(), fc.array(fc.constantFrom("US", "FR"), { maxLength: 2 })),
      { maxKeys: 5 },
    ),
  };
}

/**
 * One schema's values, valid for the most part; `pools` by property name (or
 * by component, `#Name`) take the place of the schema's own values most of the time.
 */
export function valuesOf(doc: ServiceDocument, pools: Record<string, fc.Arbitrary<unknown>>): (schema: Schema) => fc.Arbitrary<unknown> {
  const build = (schema: Schema, name: string | undefined, depth: number): fc.Arbitrary<unknown> => {
    // A pool by property name, or by the component the schema refers to (`#AttributeCondition`).
    const pool = (name === undefined ? undefined : pools[name]) ?? (schema.$ref === undefined ? undefined : pools[`#${schema.$ref.split("/").pop()}`]);
    const own = fromSchema(doc.resolve(schema), depth);
    return pool === undefined ? own : fc.oneof({ arbitrary: pool, weight: 4 }, { arbitrary: own, weight: 1 });
  };

  const fromSchema = (schema: Schema, depth: number): fc.Arbitrary<unknown> => {
    if (schema.const !== undefined) return fc.constant(schema.const);
    if (schema.enum !== undefined) return fc.constantFrom(...schema.enum);
    if (schema.anyOf !== undefined) {
      // Recursive schemas (JsonValue) end in scalars past a few levels.
      const scalars = schema.anyOf.filter((s) => !isContainer(doc.resolve(s)));
      const branches = depth > 3 && scalars.length > 0 ? scalars : schema.anyOf;
      return fc.oneof(...branches.map((s) => build(s, undefined, depth + 1)));
    }
    switch (schema.type) {
      case "string":
        return stringOf(schema);
      case "integer": {
        const min = Math.max(schema.minimum ?? -1000, -1e6);
        const range = fc.integer({ min, max: Math.max(min, Math.min(schema.maximum ?? 1000, 1e6)) });
        const bounds = [schema.minimum, schema.maximum].filter((v): v is number => v !== undefined && Math.abs(v) < 1e12);
        return bounds.length === 0 ? range : fc.oneof(range, fc.constantFrom(...bounds));
      }
      case "number":
        return fc.oneof(fc.integer({ min: -100, max: 100 }), fc.double({ noNaN: true, noDefaultInfinity: true }));
      case "boolean":
        return fc.boolean();
      case "null":
        return fc.constant(null);
      case "array": {
        const max = Math.min(schema.maxItems ?? 4, 4);
        return fc.array(build(schema.items ?? {}, undefined, depth + 1), { minLength: Math.min(schema.minItems ?? 0, max), maxLength: max });
      }
      case "object":
        return objectOf(schema, depth);
      default:
        return fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null));
    }
  };

  const stringOf = (schema: Schema): fc.Arbitrary<string> => {
    if (schema.format === "date-time") return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
    const max = Math.min(schema.maxLength ?? 16, 16);
    // Well-formed: the hostile strings come from mutations (hostile.ts), one at a time.
    return schema.pattern
      ? fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length <= (schema.maxLength ?? Infinity) && stringFault(s) === null)
      : fc.string({ minLength: Math.min(schema.minLength ?? 0, max), maxLength: max });
  };

  const objectOf = (schema: Schema, depth: number): fc.Arbitrary<unknown> => {
    if (schema.properties !== undefined) {
      // Each optional field half of the time (fc.option: nil once in `freq`).
      const required = new Set(schema.required ?? []);
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, property] of Object.entries(schema.properties)) {
        const value = build(property, key, depth + 1);
        model[key] = required.has(key) ? value : fc.option(value, { freq: 2, nil: undefined });
      }
      return fc.record(model).map((record) => Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)));
    }
    if (typeof schema.additionalProperties === "object") {
      const names = schema.propertyNames ? stringOf(schema.propertyNames) : fc.string({ maxLength: 8 });
      return fc.dictionary(names, build(schema.additionalProperties, undefined, depth + 1), { maxKeys: 3 });
    }
    return fc.constant({});
  };

  return (schema) => build(schema, undefined, 0);
}

function isContainer(schema: Schema): boolean {
  return schema.type === "array" || schema.type === "object";
}
