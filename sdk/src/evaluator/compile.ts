/**
 * Compiles wire flags and segments once, when they arrive, into the shapes the
 * hot path reads (resolve.ts): lists become Sets or bounds, semvers and instants
 * are parsed, paths split, segment references resolved, and every result the flag
 * can serve is built and frozen up front. A config that cannot be compiled does
 * not throw: it becomes a flag whose `_error` names the offending field
 * (`invalid rules[0].when[1].op`), served as PARSE_ERROR. The messages are terse
 * on purpose (bundle size): the service's own validation explains in prose.
 */
import { OPERATORS, type EvaluationResult, type JsonValue, type Reason, type Segment, type WireFlag } from "../model.js";
import { AFTER, BEFORE, CONTAINS, EXISTS, GT, GTE, LT, LTE, NOT_IN, SEGMENT, SEMVER_LT, type Cond, type CSeg } from "./conditions.js";
import { compilePath, type Path } from "./context-path.js";
import { BUCKETS, prefixState, type HashState } from "./hash.js";
import { parseInstant } from "./instant.js";
import { parseSemver } from "./semver.js";

/** A result served by a compiled flag: built once, frozen, shared by every evaluation. */
export type Res = Readonly<EvaluationResult>;

/** A compiled rollout: a bucket below `cum[i]` (and not below `cum[i - 1]`) gets variant i. */
export interface CRollout {
  _attr: string;
  _path: Path;
  _state: HashState;
  _cum: number[];
  _res: Res[];
  _cached: Res[];
}

/** What a rule or the fallthrough serves. For a rollout, `_res`/`_cached` are the no-bucket results. */
export interface CServe {
  _res: Res;
  _cached: Res;
  _rollout: CRollout | undefined;
}

export interface CRule {
  _id: string;
  _when: Cond[];
  _serve: CServe;
}

/** A compiled flag (`_` names: see Cond in conditions.ts). */
export interface CFlag {
  _key: string;
  _raw: WireFlag;
  /** Why the flag could not be compiled; the other fields are then placeholders. */
  _error: string | undefined;
  /** `typeof` a caller's default must have: the kind, or "object" for json. */
  _type: string;
  _enabled: boolean;
  _closed: boolean;
  _staleAfter: number;
  _off: Res;
  _stale: Res;
  _rules: CRule[];
  _fallthrough: CServe;
  /** Segments the flag names, so a patch to one of them recompiles it. */
  _refs: Set<string>;
}

export interface CompileOptions {
  _staleAfterMs: number;
  _now: () => number;
}

/** in/notIn lists up to this length are scanned; a short scan beats hashing into a Set. */
const SCAN_LIMIT = 8;

const TYPES: Record<string, string> = { boolean: "boolean", string: "string", number: "number", json: "object" };

function need(ok: unknown, where: string): asserts ok {
  if (!ok) throw new Error(`invalid ${where}`);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** One value of a condition, checked and pre-parsed for its operator. */
function compileValue(op: number, v: unknown, where: string): unknown {
  const string = typeof v === "string";
  need(
    op <= NOT_IN ? string || typeof v === "boolean" || Number.isFinite(v) : op >= LT && op <= GTE ? Number.isFinite(v) : string,
    where,
  );
  const parsed = op >= BEFORE ? parseInstant(v as string) : op >= SEMVER_LT ? parseSemver(v as string) : v;
  need(parsed !== undefined && parsed === parsed, where); // undefined: not a semver; NaN: not an instant
  return parsed;
}

function compileCondition(raw: unknown, where: string, segments: Map<string, CSeg> | undefined, refs: Set<string>, now: () => number): Cond {
  need(isObject(raw), where);
  const source = raw as unknown as Cond["_source"];
  let set: Set<unknown> | undefined;
  if ("segment" in raw) {
    // Segment rules may not name segments: no cycles, no depth.
    const keys = raw.segment;
    need(segments && Array.isArray(keys) && keys.length, `${where}.segment`);
    need(raw.negate === undefined || typeof raw.negate === "boolean", `${where}.negate`);
    const resolved = keys.map((k) => {
      const s = segments.get(k);
      need(s && s._error === undefined, `${where}.segment.${k}${s ? ` (${s._error})` : ""}`);
      refs.add(k);
      return s;
    });
    return { _op: SEGMENT, _attr: "", _path: undefined, _values: [], _set: set, _bound: 0, _segments: resolved, _negate: raw.negate === true, _clock: undefined, _source: source };
  }
  const op = OPERATORS.indexOf(raw.op as never);
  need(op >= 0, `${where}.op`);
  const path = compilePath(raw.attribute);
  need(path !== null, `${where}.attribute`);
  let values: unknown[] = [];
  if (op < EXISTS) {
    need(Array.isArray(raw.values) && raw.values.length, `${where}.values`);
    values = raw.values.map((v, i) => compileValue(op, v, `${where}.values[${i}]`));
    if (op <= NOT_IN && values.length > SCAN_LIMIT) set = new Set(values);
  }
  // Any (attribute, value) pair may satisfy: x < some value ⇔ x < the largest one.
  const upper = op === LT || op === LTE || op === BEFORE;
  const ordered = (op >= LT && op <= GTE) || op === BEFORE || op === AFTER;
  const bound = ordered ? (upper ? Math.max : Math.min)(...(values as number[])) : 0;
  const clock = op >= BEFORE && op <= AFTER && raw.attribute === "currentTime" ? now : undefined;
  return { _op: op, _attr: raw.attribute as string, _path: path, _values: values, _set: set, _bound: bound, _segments: undefined, _negate: false, _clock: clock, _source: source };
}

function keySet(x: unknown, where: string): Set<string> {
  need(x === undefined || (Array.isArray(x) && x.every((k) => typeof k === "string")), where);
  return new Set(x);
}

/** Compiles a segment; an invalid one carries its `error` to every flag that names it. */
export function compileSegment(key: string, raw: Segment, now: () => number): CSeg {
  try {
    need(isObject(raw) && (raw.rules === undefined || Array.isArray(raw.rules)), "segment");
    return {
      _key: key,
      _include: keySet(raw.include, "include"),
      _exclude: keySet(raw.exclude, "exclude"),
      _rules: (raw.rules ?? []).map((r: unknown, i) => {
        const when = isObject(r) && r.when;
        need(Array.isArray(when), `rules[${i}].when`);
        return when.map((c, j) => compileCondition(c, `rules[${i}].when[${j}]`, undefined, new Set(), now));
      }),
      _error: undefined,
    };
  } catch (e) {
    return { _key: key, _include: new Set(), _exclude: new Set(), _rules: [], _error: (e as Error).message };
  }
}

/** A copy of a json variant's value, frozen all the way down: results are shared. */
function frozen(v: JsonValue): JsonValue {
  if (typeof v !== "object" || v === null) return v;
  // fromEntries defines own properties, so a "__proto__" key stays data, not a prototype.
  return Object.freeze(Array.isArray(v) ? v.map(frozen) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, frozen(x)]))) as JsonValue;
}

/** Compiles a flag; never throws (a config it cannot use gets `error`). */
export function compileFlag(key: string, raw: WireFlag, segments: Map<string, CSeg>, options: CompileOptions): CFlag {
  const refs = new Set<string>();
  try {
    return build(key, raw, segments, options, refs);
  } catch (e) {
    const p: Res = Object.freeze({ value: null, reason: "ERROR" });
    const serve: CServe = { _res: p, _cached: p, _rollout: undefined };
    const error = e instanceof Error ? e.message : String(e);
    return { _key: key, _raw: raw, _error: error, _type: "", _enabled: false, _closed: false, _staleAfter: 0, _off: p, _stale: p, _rules: [], _fallthrough: serve, _refs: refs };
  }
}

function build(key: string, raw: WireFlag, segments: Map<string, CSeg>, options: CompileOptions, refs: Set<string>): CFlag {
  need(isObject(raw), "flag");
  const type = Object.hasOwn(TYPES, raw.kind) && TYPES[raw.kind]!;
  need(type, "kind");
  const values = new Map<string, JsonValue>();
  need(isObject(raw.variants), "variants");
  for (const [name, v] of Object.entries(raw.variants)) {
    need(type === "object" ? v !== undefined : typeof v === type, `variants.${name}`);
    values.set(name, frozen(v));
  }
  need(typeof raw.enabled === "boolean", "enabled");
  need(raw.failMode === undefined || raw.failMode === "open" || raw.failMode === "closed", "failMode");
  const staleAfterMs = raw.staleAfterMs;
  need(staleAfterMs === undefined || (typeof staleAfterMs === "number" && staleAfterMs > 0), "staleAfterMs");

  const variant = (name: unknown, where: string): string => {
    need(values.has(name as string), where);
    return name as string;
  };
  const result = (name: string, reason: Reason, ruleId?: string): Res =>
    Object.freeze(ruleId === undefined ? { value: values.get(name)!, variant: name, reason } : { value: values.get(name)!, variant: name, reason, ruleId });
  const offVariant = variant(raw.offVariant, "offVariant");

  const serve = (s: unknown, where: string, reason: Reason, ruleId?: string): CServe => {
    need(isObject(s), where);
    if ("variant" in s) {
      const name = variant(s.variant, `${where}.variant`);
      return { _res: result(name, reason, ruleId), _cached: result(name, "CACHED", ruleId), _rollout: undefined };
    }
    const r = s.rollout;
    where += ".rollout";
    need(isObject(r) && isObject(r.weights), where);
    const attribute = r.bucketBy ?? "key";
    const path = compilePath(attribute);
    need(path !== null, `${where}.bucketBy`);
    need(r.salt === undefined || typeof r.salt === "string", `${where}.salt`);
    const rollout: CRollout = { _attr: attribute as string, _path: path, _state: prefixState(key, (r.salt as string) ?? ""), _cum: [], _res: [], _cached: [] };
    let sum = 0;
    // Bucket ranges follow the order of the weights' keys.
    for (const [name, w] of Object.entries(r.weights)) {
      need(values.has(name) && Number.isInteger(w) && (w as number) >= 0, `${where}.weights.${name}`);
      rollout._cum.push((sum += w as number));
      rollout._res.push(result(name, "SPLIT", ruleId));
      rollout._cached.push(result(name, "CACHED", ruleId));
    }
    need(sum === BUCKETS, `${where}.weights (sum ${sum})`);
    return { _res: result(offVariant, "DEFAULT"), _cached: result(offVariant, "CACHED"), _rollout: rollout };
  };

  need(Array.isArray(raw.rules), "rules");
  const rules = raw.rules.map((r: unknown, i): CRule => {
    const where = `rules[${i}]`;
    need(isObject(r) && typeof r.id === "string" && Array.isArray(r.when), where);
    const when = r.when.map((c, j) => compileCondition(c, `${where}.when[${j}]`, segments, refs, options._now));
    return { _id: r.id, _when: when, _serve: serve(r.serve, `${where}.serve`, "TARGETING_MATCH", r.id) };
  });
  // OpenFeature's STATIC: no rule can make the answer differ between contexts.
  const fallthrough = serve(raw.fallthrough, "fallthrough", rules.length ? "DEFAULT" : "STATIC");
  return {
    _key: key,
    _raw: raw,
    _error: undefined,
    _type: type,
    _enabled: raw.enabled,
    _closed: raw.failMode === "closed",
    _staleAfter: staleAfterMs ?? options._staleAfterMs,
    _off: result(offVariant, "DISABLED"),
    _stale: result(offVariant, "STALE"),
    _rules: rules,
    _fallthrough: fallthrough,
    _refs: refs,
  };
}
