/**
 * The hot path: one compiled flag, one context → one result.
 *
 * Why it is shaped this way. An AI product evaluates a kill switch on every
 * request, so this code must cost tens of nanoseconds and never pause for GC:
 * - Everything that can be decided without the context was decided at compile
 *   time (compile.ts): lists are Sets or bounds, semvers and instants parsed,
 *   segments resolved to objects, and every result the flag can serve — with
 *   its reason, rule id and CACHED twin — already built and frozen. Evaluating
 *   returns one of those objects: no result, closure, array or string is
 *   allocated (a rollout hashes its prefix and then the context value instead
 *   of concatenating them).
 * - Compiled conditions share one hidden class and dispatch on a small integer
 *   opcode, so the property loads and the switch stay monomorphic and inlinable;
 *   closures per condition would make every call site megamorphic.
 * - Plain indexed loops: no iterators, no callbacks, no `for…of` over Maps.
 * The slow, allocating work (parsing a semver or an instant from the context,
 * explaining) happens only for conditions that need it.
 */
import { allHold, type Context } from "./conditions.js";
import type { CFlag, CServe, Res } from "./compile.js";
import { readPath } from "./context-path.js";
import { bucketFrom } from "./hash.js";

/** Resolves a compiled, valid flag. `silentForMs` ≥ the flag's staleAfter means stale. */
export function resolveFlag(f: CFlag, ctx: Context, silentForMs: number): Res {
  // A kill wins over everything, staleness included.
  if (!f._enabled) return f._off;
  const stale = silentForMs >= f._staleAfter;
  if (stale && f._closed) return f._stale;
  const rules = f._rules;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    if (allHold(rule._when, ctx)) return serve(rule._serve, ctx, stale);
  }
  return serve(f._fallthrough, ctx, stale);
}

function serve(s: CServe, ctx: Context, stale: boolean): Res {
  const r = s._rollout;
  if (r !== undefined) {
    const v = readPath(ctx, r._attr, r._path);
    // Strings, and safe integers in decimal; anything else (or "") cannot be bucketed.
    const id = typeof v === "string" ? v : typeof v === "number" && Number.isSafeInteger(v) ? String(v) : "";
    if (id !== "") {
      const bucket = bucketFrom(r._prefix, id);
      const cum = r._cum;
      for (let i = 0; i < cum.length; i++) if (bucket < cum[i]!) return stale ? r._cached[i]! : r._res[i]!;
    }
  }
  // A fixed variant, or a rollout without a bucketBy value: the flag's offVariant.
  return stale ? s._cached : s._res;
}
