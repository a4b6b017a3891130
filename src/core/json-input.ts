/**
 * What every parsed JSON input must satisfy before any schema sees it, checked
 * once for every body, query string and stream frame:
 *
 * - it nests at most MAX_JSON_DEPTH arrays/objects: recursive validators, the
 *   evaluator and canonical JSON would overflow the stack on `[[[[…`;
 * - no string, key or value, holds U+0000 or an unpaired UTF-16 surrogate:
 *   SQLite cuts a text at U+0000 and stores a lone surrogate as U+FFFD, so what
 *   is stored (and read back) would differ from what the audit chain hashed;
 * - no object has a key `__proto__`, `constructor` or `prototype`: copying such
 *   a key into a plain object changes its prototype instead (the key vanishes
 *   from the copy) or shadows what code expects to find there.
 */
import type { FieldError } from "./problem.js";
import { formatPath } from "./schemas/issues.js";

export const MAX_JSON_DEPTH = 32;

/** Keys that mean something to JavaScript objects; never a field, flag variant or context attribute name. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** U+0000, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** At most this many faults are reported: enough to fix a body, bounded for a hostile one. */
const MAX_FAULTS = 10;

/** Any U+0000 or surrogate at all: a plain character class, much cheaper than UNSTORABLE's lookarounds. */
const SUSPECT = /[\0\uD800-\uDFFF]/;

/** Why `text` cannot be stored as given, or null when it can. */
export function stringFault(text: string): string | null {
  if (!SUSPECT.test(text)) return null;
  const match = UNSTORABLE.exec(text);
  if (match === null) return null;
  if (match[0] === "\0") return "contains U+0000 (NUL); remove it";
  const unit = match[0].charCodeAt(0).toString(16).toUpperCase();
  return `contains an unpaired UTF-16 surrogate (U+${unit}); send well-formed Unicode`;
}

/** A container still to visit; `parent` and `key` rebuild its path only when a fault is reported. */
interface Pending {
  value: object;
  depth: number;
  parent: Pending | null;
  key: string | number;
}

function pathOf(node: Pending | null, last?: string | number): string {
  const segments: (string | number)[] = last === undefined ? [] : [last];
  for (let at = node; at !== null && at.parent !== null; at = at.parent) segments.push(at.key);
  return formatPath(segments.reverse());
}

/**
 * In JSON text, anything that could put U+0000, a lone surrogate or a forbidden
 * name into the parsed value. JSON allows no raw control character in a string,
 * so without an escape (`\u`), raw surrogate or forbidden word in the text, no
 * string or key of the value can hold one.
 */
const TEXT_SUSPECT = /[\0\uD800-\uDFFF]|\\u|__proto__|constructor|prototype/;

export interface JsonInputOptions {
  /** Default MAX_JSON_DEPTH. */
  maxDepth?: number;
  /**
   * The text `value` was parsed from. When it holds nothing TEXT_SUSPECT finds,
   * only the depth is walked: the cheap path for OFREP and stream acks.
   */
  text?: string;
}

/**
 * The faults of a parsed JSON value (`JSON.parse` output: plain objects, arrays
 * and scalars), each with the path of the offending key or value, at most
 * MAX_FAULTS; an empty list when there are none. Iterative, so a value nested
 * 100,000 deep is answered, not a stack overflow.
 */
export function jsonInputFaults(value: unknown, options: JsonInputOptions = {}): FieldError[] {
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  const strings = options.text === undefined || TEXT_SUSPECT.test(options.text);
  const faults: FieldError[] = [];
  if (typeof value === "string") {
    const fault = strings ? stringFault(value) : null;
    if (fault !== null) faults.push({ path: "", message: fault, code: "invalid_string" });
    return faults;
  }
  if (value === null || typeof value !== "object") return faults;
  // Breadth-first, through an index rather than shift(): faults come out level by level, in order within one.
  const queue: Pending[] = [{ value, depth: 0, parent: null, key: "" }];
  const child = (node: Pending, key: string | number, item: unknown): void => {
    if (typeof item === "string") {
      const fault = strings ? stringFault(item) : null;
      if (fault !== null) faults.push({ path: pathOf(node, key), message: fault, code: "invalid_string" });
    } else if (item !== null && typeof item === "object") {
      queue.push({ value: item, depth: node.depth + 1, parent: node, key });
    }
  };
  for (let next = 0; next < queue.length && faults.length < MAX_FAULTS; next++) {
    const node = queue[next]!;
    if (node.depth >= maxDepth) {
      faults.push({ path: pathOf(node), message: `nests deeper than ${maxDepth} levels`, code: "too_deep" });
      continue;
    }
    const current = node.value;
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++) child(node, i, current[i]);
      continue;
    }
    for (const key in current) {
      if (strings) {
        if (FORBIDDEN_KEYS.has(key)) {
          faults.push({ path: pathOf(node, key), message: `"${key}" is not allowed as a field or name`, code: "forbidden_key" });
          continue;
        }
        const fault = stringFault(key);
        if (fault !== null) faults.push({ path: pathOf(node, key), message: `the name ${fault}`, code: "invalid_string" });
      }
      child(node, key, (current as Record<string, unknown>)[key]);
    }
  }
  return faults.slice(0, MAX_FAULTS);
}
