/**
 * Matching compiled conditions and segments against a context: the inner loop of
 * evaluation. See resolve.ts for why the hot path is shaped the way it is.
 *
 * Semantics (docs/evaluation.md): `null` is missing; a value of
 * the wrong type for an operator is missing for that condition, so positive
 * operators fail and `notIn` holds; no coercion; an array attribute satisfies a
 * positive operator when any element does; `notIn` is exactly `not in`.
 */
import type { Condition, Segment } from "../model.js";
import { readPath, type Context, type Path } from "./context-path.js";
import { parseInstant } from "./instant.js";
import { BEFORE, CONTAINS, ENDS_WITH, EXCLUDED, EXISTS, GTE, INCLUDED, LT, LTE, NONE, NOT_IN, SEGMENT, SEMVER_GT, SEMVER_LT, STARTS_WITH } from "./opcodes.js";
import { compareSemver, parseSemver, type Semver } from "./semver.js";

export type { Context };

/**
 * A compiled condition. Every instance is built by one factory (compile.ts) with
 * every field set in the same order, so they share one hidden class and the
 * property loads below stay monomorphic. Compiled shapes use `_` names, which the
 * SDK build mangles to one or two letters (sdk/build.mjs, `mangleProps`).
 */
export interface Cond {
  _op: number;
  /** The attribute as written (also the flattened-key fallback of a dotted path). */
  _attr: string;
  _path: Path;
  /** Scalars for in/notIn, strings for the string operators, parsed semvers for semver*. */
  _values: unknown[];
  /** in/notIn lists too long for a linear scan. */
  _set: Set<unknown> | undefined;
  /** lt/lte/before: the largest value; gt/gte/after: the smallest (any pair may satisfy). */
  _bound: number;
  _segments: CSeg[] | undefined;
  _negate: boolean;
  /** The clock, for `currentTime` with before/after when the context has no value. */
  _clock: (() => number) | undefined;
  _source: Condition;
}

/** A compiled segment. `_error` is set when it could not be compiled. */
export interface CSeg {
  _key: string;
  _raw: Segment;
  _include: Set<string>;
  _exclude: Set<string>;
  _rules: Cond[][];
  _error: string | undefined;
}

/** Why the context is, or is not, a member of the segment. */
export function membership(s: CSeg, ctx: Context): number {
  const key = ctx.key as string;
  // Exclude wins over include and over the rules. The sets hold strings only, so a key
  // of another type is in neither.
  if (s._exclude.has(key)) return EXCLUDED;
  if (s._include.has(key)) return INCLUDED;
  const rules = s._rules;
  for (let i = 0; i < rules.length; i++) if (allHold(rules[i]!, ctx)) return i;
  return NONE;
}

/** Whether a membership answer means "member". */
export function isMember(m: number): boolean {
  return m >= INCLUDED;
}

/** Whether every condition holds (true for none). */
export function allHold(conds: Cond[], ctx: Context): boolean {
  for (let i = 0; i < conds.length; i++) if (!holds(conds[i]!, ctx)) return false;
  return true;
}

/** Whether a condition holds for a context. Never throws on any context value. */
export function holds(c: Cond, ctx: Context): boolean {
  // in/notIn are the common case: kept small here so that this function inlines.
  if (c._op <= NOT_IN) return inList(c, c._path === undefined ? ctx[c._attr] : readPath(ctx, c._attr, c._path)) !== (c._op === NOT_IN);
  return holdsOther(c, ctx);
}

function holdsOther(c: Cond, ctx: Context): boolean {
  const op = c._op;
  if (op === SEGMENT) {
    const segments = c._segments!;
    for (let i = 0; i < segments.length; i++) if (membership(segments[i]!, ctx) >= INCLUDED) return !c._negate; // a member
    return c._negate;
  }
  const v = readPath(ctx, c._attr, c._path);
  if (op >= EXISTS) return present(v) === (op === EXISTS);
  if (v === undefined || v === null) return c._clock !== undefined && order(op, c._clock(), c._bound);
  if (!Array.isArray(v)) return test(c, v);
  for (let i = 0; i < v.length; i++) if (test(c, v[i])) return true;
  return false;
}

/** Present: neither undefined, null nor an empty array (an empty list states nothing). */
export function present(v: unknown): boolean {
  return v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);
}

function inList(c: Cond, v: unknown): boolean {
  // Scalars (and undefined) go straight to the lookup: the lists hold scalars only, so
  // undefined, null and objects never match, and strict equality means no coercion.
  if (typeof v !== "object") return has(c, v);
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (has(c, v[i])) return true;
  return false;
}

function has(c: Cond, x: unknown): boolean {
  if (c._set !== undefined) return c._set.has(x);
  const values = c._values;
  for (let i = 0; i < values.length; i++) if (values[i] === x) return true;
  return false;
}

/** One scalar (or array element) against a positive operator other than in. */
function test(c: Cond, x: unknown): boolean {
  const op = c._op;
  if (op <= GTE && op >= LT) return typeof x === "number" && order(op, x, c._bound);
  if (typeof x !== "string") return false;
  if (op >= BEFORE) return order(op, parseInstant(x), c._bound);
  const values = c._values;
  if (op <= CONTAINS) {
    for (let i = 0; i < values.length; i++) {
      const s = values[i] as string;
      if (op === STARTS_WITH ? x.startsWith(s) : op === ENDS_WITH ? x.endsWith(s) : x.includes(s)) return true;
    }
    return false;
  }
  const version = parseSemver(x);
  if (version === undefined) return false;
  for (let i = 0; i < values.length; i++) {
    const r = compareSemver(version, values[i] as Semver);
    if (op === SEMVER_LT ? r < 0 : op === SEMVER_GT ? r > 0 : r === 0) return true;
  }
  return false;
}

// lt lte gt gte on numbers, before/after (exclusive) on instants; NaN (not an instant)
// compares false either way.
function order(op: number, x: number, bound: number): boolean {
  return op === LT || op === BEFORE ? x < bound : op === LTE ? x <= bound : op === GTE ? x >= bound : x > bound;
}
