/**
 * The two checks every validator of the SDK is made of: the evaluator's compiler
 * (a flag that fails one serves PARSE_ERROR) and the wire validator (a frame that
 * fails one is refused whole). Messages are field names, not sentences (bundle size).
 */

/** Throws `invalid <field>` unless `ok`. */
export function need(ok: unknown, field: string): asserts ok {
  if (!ok) throw new Error(`invalid ${field}`);
}

/** A JSON object: not null, not an array. */
export function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}
