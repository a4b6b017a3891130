/**
 * Condition opcodes: the index of the operator in OPERATORS (model.ts), plus one
 * for segment conditions; and the segment membership answers.
 *
 * This module imports nothing on purpose: esbuild inlines the constants of an
 * import-free module at every use (`c._op <= 1`), while those of a module with
 * imports stay variables (about 100 bytes of declarations in the bundle).
 */
export const IN = 0;
export const NOT_IN = 1;
export const STARTS_WITH = 2;
export const ENDS_WITH = 3;
export const CONTAINS = 4;
export const LT = 5;
export const LTE = 6;
export const GT = 7;
export const GTE = 8;
export const SEMVER_LT = 9;
export const SEMVER_GT = 10;
export const SEMVER_EQ = 11;
export const BEFORE = 12;
export const AFTER = 13;
export const EXISTS = 14;
export const MISSING = 15;
export const SEGMENT = 16;

/**
 * Segment membership: a rule index (0…) when a rule made the context a member, or one
 * of these. Ordered so that "member" is `m >= INCLUDED`.
 */
export const INCLUDED = -1;
export const EXCLUDED = -2;
export const NONE = -3;
