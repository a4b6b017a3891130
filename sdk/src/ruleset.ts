/**
 * The evaluator: flags and segments held in memory, compiled once when they
 * arrive, evaluated synchronously. One implementation for the SDK client, the
 * server (OFREP, explain) and the benchmark. Semantics: docs/evaluation.md.
 * The operator's "why" and config validation live in their own entries
 * (`@killswitch/sdk/explain`, `@killswitch/sdk/validate`), out of the core bundle.
 *
 * @packageDocumentation
 */
import type { EvaluationContext, EvaluationResult, ErrorCode, JsonValue, Segment, WireFlag } from "./model.js";
import { compileFlag, compileSegment, type CFlag, type CompileOptions } from "./evaluator/compile.js";
import type { CSeg } from "./evaluator/conditions.js";
import { asContext } from "./evaluator/context-path.js";
import { resolveFlag } from "./evaluator/resolve.js";
import { checkMaps, checkPatch } from "./wire.js";

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

const failure = <T>(value: T, errorCode: ErrorCode, errorMessage: string): EvaluationResult<T> => ({
  value,
  reason: "ERROR",
  errorCode,
  errorMessage,
});

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
  /** @internal The compiled flags, in load order; the client persists their raw forms. */
  _flags = new Map<string, CFlag>();
  /** @internal The compiled segments. */
  _segments = new Map<string, CSeg>();
  /**
   * @internal Each staleness limit of the flags (negative for a fail-closed flag) → how
   * many flags have it: the client's timers read the smallest without a walk over the flags.
   */
  _limits = new Map<number, number>();
  // Segment key → the flags that name it (a flag that failed on it included): a patch to a
  // segment recompiles these and no other.
  private _index = new Map<string, Set<string>>();
  private _version = -1;
  private readonly _options: CompileOptions;
  // A one-entry lookup cache: an application checks the same kill switch on every
  // request, and comparing the key with the last one is cheaper than a Map lookup.
  // load() and patch() clear it.
  private _lastKey: string | undefined;
  private _last: CFlag | undefined;

  constructor(options: RulesetOptions = {}) {
    this._options = { _staleAfterMs: options.staleAfterMs ?? 60_000, _now: options.now ?? Date.now };
  }

  /** Environment version of what is loaded; -1 before the first load. */
  get version(): number {
    return this._version;
  }

  /**
   * Replace everything (a snapshot). Compiles every flag once; a flag that cannot
   * be compiled is kept and answers PARSE_ERROR without affecting the others. Throws
   * `invalid snapshot`, and changes nothing, unless `flags` and `segments` are objects.
   */
  load(flags: Record<string, WireFlag>, segments: Record<string, Segment>, version: number): void {
    for (const _ of this._load(flags, segments, version));
  }

  /**
   * @internal load(), one segment or flag per step: the client builds a new ruleset in
   * steps, letting its host's loop run between them, and swaps it in when done.
   */
  *_load(flags: Record<string, WireFlag>, segments: Record<string, Segment>, version: number): Generator<void> {
    checkMaps(flags, segments);
    this._segments = new Map();
    this._flags = new Map();
    this._index = new Map();
    this._limits = new Map();
    // `for…in` rather than Object.keys (bytes): wire objects are plain JSON.
    for (const k in segments) yield this._segment(k, segments[k]!);
    for (const k in flags) yield this._flag(k, flags[k]!);
    this._lastKey = undefined;
    this._version = version;
  }

  /**
   * Apply a patch (the caller has checked its versions: prev === this.version). Checks
   * the patch's parts first (`invalid flags`, …: nothing changes then), and recompiles
   * the flags it names and the flags that name a segment it changes or removes, found
   * through an index: the cost follows the patch, not the number of flags. The others
   * keep their compiled form and their place in {@link keys}. Answers the keys of the
   * flags whose evaluation may have changed.
   *
   * @example
   * rules.patch({ flags: { "model.fable-5": killed }, segments: {}, removed: { flags: [], segments: [] } }, 13); // ["model.fable-5"]
   */
  patch(p: RulesetPatch, version: number): string[] {
    checkPatch(p);
    const { flags, segments, removed } = p;
    const changed = new Set(Object.keys(flags));
    for (const k of [...Object.keys(segments), ...removed.segments]) this._index.get(k)?.forEach((f) => changed.add(f));
    for (const k in segments) this._segment(k, segments[k]!);
    for (const k of removed.segments) this._segments.delete(k);
    for (const k of removed.flags) {
      this._count(this._flags.get(k), -1);
      this._flags.delete(k);
      changed.add(k);
    }
    for (const k of changed) {
      const raw = Object.hasOwn(flags, k) ? flags[k] : this._flags.get(k)?._raw;
      if (raw !== undefined) this._flag(k, raw!);
    }
    this._lastKey = undefined;
    this._version = version;
    return [...changed];
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
    return this._eval(flagKey, context, defaultValue, silentForMs, true) as EvaluationResult<T>;
  }

  /**
   * Evaluate without a caller default (OFREP, explain, bulk): the variant's own value;
   * on error the value is null.
   *
   * @example
   * rules.resolve("model.fable-5", { key: "u1" }) // { value: true, variant: "on", reason: "DEFAULT" }
   */
  resolve(flagKey: string, context: EvaluationContext, silentForMs = 0): EvaluationResult {
    return this._eval(flagKey, context, null, silentForMs, false);
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

  /** @internal The compiled flag; `explainFlag` (`@killswitch/sdk/explain`) reads it. */
  _find(flagKey: string): CFlag | undefined {
    if (flagKey !== this._lastKey) {
      this._last = this._flags.get(flagKey);
      this._lastKey = flagKey;
    }
    return this._last;
  }

  // evaluate() and resolve() in one body: `typed` checks the caller's default
  // against the flag's kind (evaluate), else only that the flag compiled (resolve).
  private _eval(flagKey: string, context: EvaluationContext, value: JsonValue, silentForMs: number, typed: boolean): EvaluationResult {
    const f = this._find(flagKey);
    // One comparison guards the hot path (an invalid flag's type is ""); every error is decided below.
    if (f !== undefined && (typed ? typeof value === f._type : f._error === undefined)) {
      try {
        return resolveFlag(f, asContext(context), silentForMs);
      } catch (e) {
        // Only a hostile context (a throwing getter or Proxy) gets here.
        return failure(value, "GENERAL", String(e));
      }
    }
    return f === undefined
      ? this._version < 0
        ? failure(value, "PROVIDER_NOT_READY", "nothing loaded")
        : failure(value, "FLAG_NOT_FOUND", flagKey)
      : f._error === undefined
        ? failure(value, "TYPE_MISMATCH", f._raw.kind)
        : failure(value, "PARSE_ERROR", f._error);
  }

  private _segment(k: string, raw: Segment): void {
    this._segments.set(k, compileSegment(k, raw, this._options._now));
  }

  private _flag(k: string, raw: WireFlag): void {
    this._count(this._flags.get(k), -1);
    const f = compileFlag(k, raw, this._segments, this._options);
    this._flags.set(k, f);
    this._count(f, 1);
  }

  // Keeps the segment index and the limit counts in step with the flags: `d` is 1 for a
  // flag compiled in, -1 for one replaced or removed.
  private _count(f: CFlag | undefined, d: number): void {
    if (f) {
      for (const s of f._refs) {
        const flags = this._index.get(s) ?? new Set();
        this._index.set(s, flags);
        if (d > 0) flags.add(f._key);
        else flags.delete(f._key);
      }
      const limit = f._closed ? -f._staleAfter : f._staleAfter;
      const n = (this._limits.get(limit) ?? 0) + d;
      if (n) this._limits.set(limit, n);
      else this._limits.delete(limit);
    }
  }
}
