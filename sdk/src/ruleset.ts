/**
 * The evaluator: flags and segments held in memory, compiled once when they
 * arrive, evaluated synchronously. One implementation for the SDK client, the
 * server (OFREP, explain) and the benchmark. Semantics: docs/evaluation.md.
 *
 * @packageDocumentation
 */
import type { EvaluationContext, EvaluationResult, ErrorCode, JsonValue, Segment, WireFlag } from "./model.js";
import { compileFlag, compileSegment, type CFlag, type CompileOptions } from "./evaluator/compile.js";
import type { Context, CSeg } from "./evaluator/conditions.js";
import { explainFlag, type Explanation } from "./evaluator/explain.js";
import { resolveFlag } from "./evaluator/resolve.js";

export { bucketOf } from "./evaluator/hash.js";
export type { Explanation, RuleExplanation } from "./evaluator/explain.js";

/** Options of a {@link Ruleset}. */
export interface RulesetOptions {
  /** Staleness limit for flags without their own staleAfterMs. Default 60_000. */
  staleAfterMs?: number;
  /** Clock for the `currentTime` attribute; default Date.now. */
  now?: () => number;
}

/** A patch as the wire protocol carries it (the `patch` message without its versions). */
export interface RulesetPatch {
  flags: Record<string, WireFlag>;
  segments: Record<string, Segment>;
  removed: { flags: string[]; segments: string[] };
}

// A non-object context is read as an empty one rather than throwing.
const EMPTY: Context = Object.freeze({});
const asContext = (c: unknown): Context => (typeof c === "object" && c !== null ? (c as Context) : EMPTY);

const keysOf = (o: object | null | undefined): string[] => (o ? Object.keys(o) : []);

/**
 * Flags and segments of one environment, compiled for evaluation. Evaluation never
 * throws and, for a valid flag, allocates nothing: it returns one of the flag's
 * prebuilt results, which are frozen and shared (do not mutate them).
 *
 * @example
 * const rules = new Ruleset();
 * rules.load(snapshot.flags, snapshot.segments, snapshot.v);
 * const { value } = rules.evaluate("model.fable-5", { key: "u1", nationality: ["US", "FR"] }, false);
 */
export class Ruleset {
  private _flags = new Map<string, CFlag>();
  private _segments = new Map<string, CSeg>();
  private _version = -1;
  private readonly _options: CompileOptions;
  // A one-entry lookup cache: an application checks the same kill switch on every
  // request, and comparing the key with the last one is cheaper than a Map lookup.
  // load() and patch() clear it.
  private _lastKey: string | undefined;
  private _last: CFlag | undefined;

  constructor(options: RulesetOptions = {}) {
    const now = options.now ?? (() => Date.now());
    this._options = { _staleAfterMs: options.staleAfterMs ?? 60_000, _now: now };
  }

  /** Environment version of what is loaded; -1 before the first load. */
  get version(): number {
    return this._version;
  }

  /**
   * Replace everything (a snapshot). Compiles every flag once; a flag that cannot
   * be compiled is kept and answers PARSE_ERROR without affecting the others.
   */
  load(flags: Record<string, WireFlag>, segments: Record<string, Segment>, version: number): void {
    const compiled = new Map<string, CSeg>();
    for (const k of keysOf(segments)) compiled.set(k, compileSegment(k, segments[k]!, this._options._now));
    this._segments = compiled;
    this._flags = new Map();
    this._lastKey = undefined;
    for (const k of keysOf(flags)) this._flags.set(k, compileFlag(k, flags[k]!, compiled, this._options));
    this._version = version;
  }

  /**
   * Apply a patch (the caller has checked prev === this.version). Recompiles the
   * touched flags and the flags that name a touched segment; the others keep their
   * compiled form and their place in {@link keys}.
   */
  patch(p: RulesetPatch, version: number): void {
    this._lastKey = undefined;
    const touched = new Set<string>();
    for (const k of keysOf(p.segments)) {
      this._segments.set(k, compileSegment(k, p.segments[k]!, this._options._now));
      touched.add(k);
    }
    for (const k of p.removed?.segments ?? []) {
      this._segments.delete(k);
      touched.add(k);
    }
    for (const k of p.removed?.flags ?? []) this._flags.delete(k);
    const changed = keysOf(p.flags);
    for (const k of changed) this._flags.set(k, compileFlag(k, p.flags[k]!, this._segments, this._options));
    if (touched.size > 0) {
      const fresh = new Set(changed);
      for (const [k, f] of this._flags) {
        // A flag that failed to compile may have failed on a segment this patch fixes.
        if (!fresh.has(k) && (f._error !== undefined || [...f._refs].some((s) => touched.has(s)))) {
          this._flags.set(k, compileFlag(k, f._raw, this._segments, this._options));
        }
      }
    }
    this._version = version;
  }

  /**
   * Evaluate; never throws. `silentForMs` = time since the client last heard from the
   * service (0 = fresh). When it reaches the flag's staleAfterMs (or the option's
   * default), failMode "closed" serves offVariant with reason STALE and failMode "open"
   * evaluates normally with reason CACHED. `typeof defaultValue` must match the flag's
   * kind (object, array or null for json), else the default is served with ERROR /
   * TYPE_MISMATCH. A missing flag serves the default with ERROR / FLAG_NOT_FOUND
   * (PROVIDER_NOT_READY before the first load); a flag that could not be compiled,
   * ERROR / PARSE_ERROR.
   *
   * @example
   * rules.evaluate("model.fable-5", { key: "u1", nationality: "FR" }, false).value // false when blocked
   */
  evaluate<T extends JsonValue>(flagKey: string, context: EvaluationContext, defaultValue: T, silentForMs = 0): EvaluationResult<T> {
    const f = this._find(flagKey);
    // One typeof comparison guards the hot path; every error is decided in _failure.
    if (f === undefined || typeof defaultValue !== f._type) return this._failure(f, flagKey, defaultValue);
    try {
      return resolveFlag(f, asContext(context), silentForMs) as EvaluationResult<T>;
    } catch (e) {
      // Only a hostile context (a throwing getter or Proxy) gets here.
      return failure(defaultValue, "GENERAL", String(e));
    }
  }

  /**
   * Evaluate without a caller default (OFREP, explain, bulk): the variant's own value;
   * on error the value is null.
   *
   * @example
   * rules.resolve("model.fable-5", { key: "u1" }) // { value: true, variant: "on", reason: "DEFAULT" }
   */
  resolve(flagKey: string, context: EvaluationContext, silentForMs = 0): EvaluationResult {
    const f = this._find(flagKey);
    if (f === undefined || f._error !== undefined) return this._failure(f, flagKey, null);
    try {
      return resolveFlag(f, asContext(context), silentForMs);
    } catch (e) {
      return failure(null, "GENERAL", String(e));
    }
  }

  /**
   * The operator's "why": per rule in order, matched or not and which condition
   * failed; undefined for an unknown flag.
   *
   * @example
   * rules.explain("model.fable-5", { key: "u1" })?.rules[0]?.failedCondition?.detail
   */
  explain(flagKey: string, context: EvaluationContext): Explanation | undefined {
    const f = this._flags.get(flagKey);
    if (f === undefined) return undefined;
    const ctx = asContext(context);
    const result = this.resolve(flagKey, ctx);
    try {
      return explainFlag(f, ctx, result);
    } catch {
      return { flag: flagKey, result, enabled: f._error === undefined && f._enabled, rules: [], fallthrough: false };
    }
  }

  /** Raw flag as loaded, or undefined. */
  flag(flagKey: string): WireFlag | undefined {
    return this._flags.get(flagKey)?._raw;
  }

  /** Keys of loaded flags, in load order. */
  keys(): string[] {
    return [...this._flags.keys()];
  }

  /** Why a loaded flag could not be compiled (it then serves PARSE_ERROR), or undefined. */
  problem(flagKey: string): string | undefined {
    return this._flags.get(flagKey)?._error;
  }

  private _find(flagKey: string): CFlag | undefined {
    if (flagKey !== this._lastKey) {
      this._last = this._flags.get(flagKey);
      this._lastKey = flagKey;
    }
    return this._last;
  }

  private _failure<T>(f: CFlag | undefined, flagKey: string, value: T): EvaluationResult<T> {
    return f === undefined
      ? this._version < 0
        ? failure(value, "PROVIDER_NOT_READY", "nothing loaded yet")
        : failure(value, "FLAG_NOT_FOUND", `no flag ${flagKey}`)
      : f._error === undefined
        ? failure(value, "TYPE_MISMATCH", `${flagKey} is ${f._raw.kind}`)
        : failure(value, "PARSE_ERROR", `${flagKey}: ${f._error}`);
  }
}

function failure<T>(value: T, errorCode: ErrorCode, errorMessage: string): EvaluationResult<T> {
  return { value, reason: "ERROR", errorCode, errorMessage };
}

/**
 * Why the evaluator cannot compile a flag against these segments (so it would serve
 * PARSE_ERROR), or undefined when it can. Lets the service refuse such a config.
 *
 * @example
 * checkFlag(flag, segments) // 'rules[0].when[0]: unknown segment "typo"'
 */
export function checkFlag(flag: WireFlag, segments: Record<string, Segment>): string | undefined {
  const r = new Ruleset();
  r.load({ [flag?.key ?? ""]: flag }, segments, 0);
  return r.problem(flag?.key ?? "");
}
