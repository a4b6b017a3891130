/**
 * zod issues → the problem JSON's per-field errors, with paths such as
 * `rules[2].when[0].values`. A failed union reports the branch that came closest,
 * not every branch.
 */
import type { z } from "zod";
import type { FieldError } from "../problem.js";

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (typeof segment === "string" && IDENTIFIER.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

export function toFieldErrors(issues: readonly z.core.$ZodIssue[], base: readonly PropertyKey[] = []): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      const closest = issue.errors.reduce((best, branch) => (branch.length < best.length ? branch : best));
      errors.push(...toFieldErrors(closest, path));
    } else if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        errors.push({ path: formatPath([...path, key]), message: issue.message.startsWith("Unrecognized") ? "unknown field" : issue.message, code: issue.code });
      }
    } else {
      errors.push({ path: formatPath(path), message: issue.message, code: issue.code });
    }
  }
  return errors;
}
