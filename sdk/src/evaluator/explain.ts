/**
 * The operator's "why is this user blocked?": every rule in order, whether it
 * matched and which condition failed, with segment membership reasons. Not on
 * the hot path, and not in the core bundle (`@killswitch/sdk/explain`): it
 * reuses `holds` for every verdict (so it can never disagree with evaluation)
 * and only adds descriptions.
 */
import type { Condition, EvaluationResult } from "../model.js";
import type { CFlag } from "./compile.js";
import { holds, membership, type Cond, type Context } from "./conditions.js";
import { EXCLUDED, INCLUDED, NONE, SEGMENT } from "./opcodes.js";
import { readPath } from "./context-path.js";

/** One rule of an {@link Explanation}. */
export interface RuleExplanation {
  id: string;
  matched: boolean;
  /** Index and description of the first condition that failed, when not matched. */
  failedCondition?: { index: number; condition: Condition; detail: string };
  /**
   * Membership in each segment named by the rule's segment conditions (up to the
   * failed one): "included", "excluded", "rule <n>" (0-based) or "none".
   */
  segments?: Record<string, string>;
}

/** Why a flag serves what it serves for a context. */
export interface Explanation {
  flag: string;
  /** What evaluation serves (fresh, no caller default). */
  result: EvaluationResult;
  enabled: boolean;
  /** Every rule in order, also those after the one that served and those of a disabled flag. */
  rules: RuleExplanation[];
  /** True when no rule matched and the fallthrough served. */
  fallthrough: boolean;
}

function show(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return `a ${typeof v}`;
  }
}

function reason(m: number): string {
  return m === EXCLUDED ? "excluded" : m === INCLUDED ? "included" : m === NONE ? "none" : `rule ${m}`;
}

function describe(c: Cond, ctx: Context): string {
  if (c._op === SEGMENT) {
    const keys = c._segments!.map((s) => s._key).join(", ");
    return c._negate ? `member of ${keys}, and the condition is negated` : `not a member of ${keys}`;
  }
  const v = readPath(ctx, c._attr, c._path);
  const src = c._source as { op: string; values?: unknown };
  const seen =
    v != null ? `${c._attr} is ${show(v)}` : c._clock ? `currentTime (clock) is ${new Date(c._clock()).toISOString()}` : `${c._attr} is missing`;
  return `${seen}, so ${src.op}${src.values === undefined ? "" : ` ${show(src.values)}`} does not hold`;
}

/** Explains a compiled flag for a context; `result` is what evaluation serves. */
export function explainCompiled(f: CFlag, ctx: Context, result: EvaluationResult): Explanation {
  let any = false;
  const rules = f._rules.map((r): RuleExplanation => {
    const out: RuleExplanation = { id: r._id, matched: true };
    for (let i = 0; i < r._when.length; i++) {
      const c = r._when[i]!;
      if (c._op === SEGMENT) {
        const segments = (out.segments ??= {});
        for (const s of c._segments!) segments[s._key] = reason(membership(s, ctx));
      }
      if (!holds(c, ctx)) {
        out.matched = false;
        let detail: string;
        try {
          detail = describe(c, ctx);
        } catch {
          detail = "the condition does not hold";
        }
        out.failedCondition = { index: i, condition: c._source, detail };
        break;
      }
    }
    any ||= out.matched;
    return out;
  });
  const valid = f._error === undefined;
  return { flag: f._key, result, enabled: valid && f._enabled, rules, fallthrough: valid && f._enabled && !any };
}
