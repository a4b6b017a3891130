/**
 * Compiles wire flags and segments once, when they arrive, into the shapes the
 * hot path reads (resolve.ts): lists become Sets or bounds, semvers and instants
 * are parsed, paths split, segment references resolved, and every result the flag
 * can serve is built and frozen up front. A config that cannot be compiled does
 * not throw: it becomes a flag whose `_error` names the offending field, without
 * its path (`invalid op`), served as PARSE_ERROR. The messages are code-like on
 * purpose (bundle size): the service's own validation reports paths and prose.
 */
import { OPERATORS, type Condition, type EvaluationResult, type JsonValue, type Reason, type Segment, type WireFlag } from "../model.js";
import type { Cond, CSeg } from "./conditions.js";
import { AFTER, BEFORE, EXISTS, GTE, LT, LTE, NOT_IN, SEGMENT, SEMVER_LT } from "./opcodes.js";
import { compilePath, type Path } from "./context-path.js";
import { BUCKETS, prefixOf } from "./hash.js";
import { parseInstant } from "./instant.js";
import { parseSemver } from "./semver.js";
import { isObject, need } from "./need.js";

/** A result served by a compiled flag: built once, frozen, shared by every evaluation. */
export type Res = Readonly<EvaluationResult>;

/** A compiled rollout: a bucket below `cum[i]` (and not below `cum[i - 1]`) gets variant i. */
export interface CRollout {
  _attr: string;
  _path: Path;
  /** `${flagKey}.${salt}.`, hashed before the context value. */
  _prefix: string;
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
  _refs: string[];
}

export interface CompileOptions {
  _staleAfterMs: number;
  _now: () => number;
}

/** in/notIn lists up to this length are scanned; a short scan beats hashing into a Set. */
const SCAN_LIMIT = 8;


/** One value of a condition, checked and pre-parsed for its operator. */
function compileValue(op: number, v: unknown): unknown {
  const string = typeof v === "string";
  need(
    op <= NOT_IN ? string || typeof v === "boolean" || Number.isFinite(v) : op >= LT && op <= GTE ? Number.isFinite(v) : string,
    "values",
  );
  const parsed = op >= BEFORE ? parseInstant(v as string) : op >= SEMVER_LT ? parseSemver(v as string) : v;
  need(parsed !== undefined && parsed === parsed, "values"); // undefined: not a semver; NaN: not an instant
  return parsed;
}

function compileCondition(raw: unknown, segments: Map<string, CSeg> | undefined, refs: string[], now: () => number): Cond {
  need(isObject(raw), "when");
  // One object literal below for both kinds of condition: one hidden class, and fewer bytes.
  let op = SEGMENT;
  let attr = "";
  let path: Path;
  let values: unknown[] = [];
  let set: Set<unknown> | undefined;
  let bound = 0;
  let resolved: CSeg[] | undefined;
  let clock: (() => number) | undefined;
  if ("segment" in raw) {
    // Segment rules may not name segments: no cycles, no depth.
    const keys = raw.segment;
    need(segments && Array.isArray(keys) && keys.length, "segment");
    need(raw.negate === undefined || typeof raw.negate === "boolean", "negate");
    resolved = keys.map((k) => {
      // Named before it is checked: a patch that fixes the segment recompiles this flag.
      refs.push(k);
      const s = segments.get(k);
      // Unknown or invalid alike: the service's validation tells which.
      need(s && s._error === undefined, "segment");
      return s;
    });
  } else {
    op = OPERATORS.indexOf(raw.op as never);
    need(op >= 0, "op");
    const p = compilePath(raw.attribute);
    need(p !== null, "attribute");
    path = p;
    attr = raw.attribute as string;
    if (op < EXISTS) {
      need(Array.isArray(raw.values) && raw.values.length, "values");
      values = raw.values.map((v) => compileValue(op, v));
      if (op <= NOT_IN && values.length > SCAN_LIMIT) set = new Set(values);
    }
    // Any (attribute, value) pair may satisfy: x < some value ⇔ x < the largest one.
    if ((op >= LT && op <= GTE) || op === BEFORE || op === AFTER) {
      bound = (op === LT || op === LTE || op === BEFORE ? Math.max : Math.min)(...(values as number[]));
      if (op >= BEFORE && attr === "currentTime") clock = now;
    }
  }
  return { _op: op, _attr: attr, _path: path, _values: values, _set: set, _bound: bound, _segments: resolved, _negate: raw.negate === true, _clock: clock, _source: raw as unknown as Condition };
}

function keySet(x: unknown, field: string): Set<string> {
  need(x === undefined || (Array.isArray(x) && x.every((k) => typeof k === "string")), field);
  return new Set(x);
}

/** Compiles a segment; an invalid one carries its `error` to every flag that names it. */
export function compileSegment(key: string, raw: Segment, now: () => number): CSeg {
  try {
    need(isObject(raw) && (raw.rules === undefined || Array.isArray(raw.rules)), "segment");
    return {
      _key: key,
      _raw: raw,
      _include: keySet(raw.include, "include"),
      _exclude: keySet(raw.exclude, "exclude"),
      _rules: (raw.rules ?? []).map((r: unknown) => {
        const when = isObject(r) && r.when;
        need(Array.isArray(when), "when");
        return when.map((c) => compileCondition(c, undefined, [], now));
      }),
      _error: undefined,
    };
  } catch (e) {
    // A flag that names an invalid segment is refused: nothing else of it is read.
    return { _key: key, _raw: raw, _error: (e as Error).message } as CSeg;
  }
}

/**
 * A copy of a json variant's value, frozen all the way down: results are shared. The
 * reviver sees every value bottom-up (fewer bytes than a recursive copy), and JSON.parse
 * defines own properties, so a "__proto__" key stays data, not a prototype. A value JSON
 * cannot carry (a cycle, a BigInt) throws here: the flag is then refused.
 */
const frozen = (v: JsonValue): JsonValue => JSON.parse(JSON.stringify(v), (_, x: JsonValue) => Object.freeze(x));

/** Compiles a flag; never throws (a config it cannot use gets `error`). */
export function compileFlag(key: string, raw: WireFlag, segments: Map<string, CSeg>, options: CompileOptions): CFlag {
  const refs: string[] = [];
  try {
    return build(key, raw, segments, options, refs);
  } catch (e) {
    // Only what is read of an invalid flag (bytes): it never reaches resolveFlag, its
    // type matches no default, it has no limit (it cannot turn stale), and explain
    // lists no rule. Its other fields are undefined.
    return { _key: key, _raw: raw, _error: String((e as Error)?.message ?? e), _type: "", _staleAfter: Infinity, _rules: [], _refs: refs } as Partial<CFlag> as CFlag;
  }
}

function build(key: string, raw: WireFlag, segments: Map<string, CSeg>, options: CompileOptions, refs: string[]): CFlag {
  need(isObject(raw), "flag");
  const kind = raw.kind;
  need(kind === "boolean" || kind === "string" || kind === "number" || kind === "json", "kind");
  const type = kind === "json" ? "object" : kind;
  const values = new Map<string, JsonValue>();
  need(isObject(raw.variants), "variants");
  for (const [name, v] of Object.entries(raw.variants)) {
    need(type === "object" ? v !== undefined : typeof v === type, "variants");
    values.set(name, frozen(v));
  }
  need(typeof raw.enabled === "boolean", "enabled");
  need(raw.failMode === undefined || raw.failMode === "open" || raw.failMode === "closed", "failMode");
  const staleAfterMs = raw.staleAfterMs;
  need(staleAfterMs === undefined || (typeof staleAfterMs === "number" && staleAfterMs > 0), "staleAfterMs");

  const variant = (name: unknown, field: string): string => {
    need(values.has(name as string), field);
    return name as string;
  };
  const result = (name: string, reason: Reason, ruleId?: string): Res =>
    Object.freeze({ value: values.get(name)!, variant: name, reason, ...(ruleId !== undefined && { ruleId }) });
  const offVariant = variant(raw.offVariant, "offVariant");

  const serve = (s: unknown, reason: Reason, ruleId?: string): CServe => {
    need(isObject(s), "serve");
    if ("variant" in s) {
      const name = variant(s.variant, "variant");
      return { _res: result(name, reason, ruleId), _cached: result(name, "CACHED", ruleId), _rollout: undefined };
    }
    const r = s.rollout;
    need(isObject(r) && isObject(r.weights), "rollout");
    const attribute = r.bucketBy ?? "key";
    const path = compilePath(attribute);
    need(path !== null, "bucketBy");
    need(r.salt === undefined || typeof r.salt === "string", "salt");
    const rollout: CRollout = { _attr: attribute as string, _path: path, _prefix: prefixOf(key, (r.salt as string) ?? ""), _cum: [], _res: [], _cached: [] };
    let sum = 0;
    // Bucket ranges follow the order of the weights' keys.
    for (const [name, w] of Object.entries(r.weights)) {
      need(values.has(name) && Number.isInteger(w) && (w as number) >= 0, "weights");
      rollout._cum.push((sum += w as number));
      rollout._res.push(result(name, "SPLIT", ruleId));
      rollout._cached.push(result(name, "CACHED", ruleId));
    }
    need(sum === BUCKETS, "weights");
    return { _res: result(offVariant, "DEFAULT"), _cached: result(offVariant, "CACHED"), _rollout: rollout };
  };

  need(Array.isArray(raw.rules), "rules");
  const rules = raw.rules.map((r: unknown): CRule => {
    need(isObject(r) && typeof r.id === "string" && Array.isArray(r.when), "rules");
    const when = r.when.map((c) => compileCondition(c, segments, refs, options._now));
    return { _id: r.id, _when: when, _serve: serve(r.serve, "TARGETING_MATCH", r.id) };
  });
  // OpenFeature's STATIC: no rule can make the answer differ between contexts.
  const fallthrough = serve(raw.fallthrough, rules.length ? "DEFAULT" : "STATIC");
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
