/**
 * Reading a context attribute by name or dotted path (`org.country`).
 *
 * A plain name is read directly: `ctx[name]`, the fastest property load there is.
 * A dotted path, or a name that also lives on Object.prototype (`constructor`,
 * `toString`, `__proto__`…), takes the careful route: own properties only, so a
 * context never "has" an attribute through its prototype.
 */

/** A context as the evaluator reads it. */
export type Context = Record<string, unknown>;

// A non-object context (null, a string…) is read as an empty one rather than throwing.
const EMPTY: Context = {};

/** The context as the evaluator reads it. */
export const asContext = (c: unknown): Context => (typeof c === "object" && c !== null ? (c as Context) : EMPTY);

/** A compiled path: the segments to walk, or undefined for a plain name read directly. */
export type Path = string[] | undefined;

/** Compiles an attribute path; returns null when it is not one (empty, or an empty segment). */
export function compilePath(attribute: unknown): Path | null {
  if (typeof attribute !== "string") return null;
  const segments = attribute.split(".");
  if (segments.includes("")) return null;
  return segments.length === 1 && !(attribute in Object.prototype) ? undefined : segments;
}

/**
 * The value at a compiled path. A dotted path reads nested objects first; when that
 * finds nothing it reads a flattened key spelled with the dots (`{"org.country": "US"}`),
 * so contexts flattened by OFREP clients or logging libraries still work.
 */
export function readPath(ctx: Context, name: string, path: Path): unknown {
  if (path === undefined) return ctx[name];
  let v: unknown = ctx;
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    if (typeof v !== "object" || v === null || !Object.hasOwn(v, key)) {
      v = undefined;
      break;
    }
    v = (v as Record<string, unknown>)[key];
  }
  return v === undefined && path.length > 1 && Object.hasOwn(ctx, name) ? ctx[name] : v;
}
