/**
 * Strict Semantic Versioning 2.0.0: `MAJOR.MINOR.PATCH[-pre][+build]`, no `v`
 * prefix, no leading zeros, compared by precedence (https://semver.org/#spec-item-11).
 */

// The grammar of semver.org's recommended expression; build metadata is matched but ignored.
// Case-insensitive: `[a-z]` stands for semver.org's `[a-zA-Z]` (fewer bytes, same language).
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-z-][\da-z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-z-][\da-z-]*))*))?(?:\+[\da-z-]+(?:\.[\da-z-]+)*)?$/i;
const NUMERIC = /^\d+$/;

/** Like npm's `semver`: longer strings are refused rather than matched. */
const MAX_LENGTH = 256;

/** `[major, minor, patch, ...prerelease identifiers]`, numbers kept as digit strings. */
export type Semver = string[];

/** Parses a strict semver, or returns undefined. */
export function parseSemver(s: string): Semver | undefined {
  const m = s.length <= MAX_LENGTH ? SEMVER.exec(s) : null;
  if (m === null) return undefined;
  const v = [m[1]!, m[2]!, m[3]!];
  return m[4] === undefined ? v : v.concat(m[4].split("."));
}

// Digit strings without leading zeros compare by length, then lexically: exact at any size.
function compareNumbers(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

function compareIdentifiers(a: string, b: string): number {
  const an = NUMERIC.test(a);
  const bn = NUMERIC.test(b);
  if (an && bn) return compareNumbers(a, b);
  // Numeric identifiers have lower precedence than alphanumeric ones; the rest is ASCII order.
  return an ? -1 : bn ? 1 : a < b ? -1 : a > b ? 1 : 0;
}

/** Negative, zero or positive as `a` has lower, equal or higher precedence than `b`. */
export function compareSemver(a: Semver, b: Semver): number {
  for (let i = 0; i < 3; i++) {
    const c = compareNumbers(a[i]!, b[i]!);
    if (c) return c;
  }
  // A version without a pre-release outranks one with: 1.0.0-rc.1 < 1.0.0.
  if (a.length === 3 || b.length === 3) return b.length - a.length;
  for (let i = 3; i < a.length && i < b.length; i++) {
    const c = compareIdentifiers(a[i]!, b[i]!);
    if (c) return c;
  }
  return a.length - b.length;
}
