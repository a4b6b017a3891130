/**
 * Reading requests: JSON bodies through zod, query strings, path keys, If-Match.
 */
import type { Context } from "hono";
import type { z } from "zod";
import { jsonInputFaults } from "../core/json-input.js";
import { invalid, invalidField, notFound, ProblemError } from "../core/problem.js";
import { KEY_PATTERN, RULE_ID_PATTERN } from "../core/schemas/common.js";
import { toFieldErrors } from "../core/schemas/issues.js";

const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;

/**
 * The body parsed by `schema`. `optional`: an empty body counts as `{}`
 * (DELETE routes). Order: 415 wrong type, 400 malformed JSON, 400 unstorable
 * (src/core/json-input.ts), 400 invalid.
 */
export async function readBody<S extends z.ZodType>(
  c: Context,
  schema: S,
  options: { optional?: boolean } = {},
): Promise<z.output<S>> {
  const text = await c.req.text();
  let value: unknown = {};
  if (text.trim() === "") {
    if (!options.optional) throw invalidField("", "a JSON body is required", "required");
  } else {
    const type = c.req.header("content-type");
    if (type === undefined || !JSON_TYPE.test(type)) {
      throw new ProblemError("unsupportedMediaType", `Send the body as Content-Type: application/json${type ? `, not ${type}` : ""}.`);
    }
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new ProblemError("malformedJson", `The body is not valid JSON: ${(error as Error).message}`);
    }
    const faults = jsonInputFaults(value, { text });
    if (faults.length > 0) throw invalid(faults);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalid(toFieldErrors(parsed.error.issues));
  return parsed.data;
}

export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw invalid(toFieldErrors(parsed.error.issues));
  return parsed.data;
}

/** A flag, segment or environment key from the path; one that breaks the grammar cannot exist. */
export function pathKey(c: Context, name: string, what: string): string {
  const value = c.req.param(name) ?? "";
  if (!KEY_PATTERN.test(value)) throw notFound(`No ${what} "${value}".`);
  return value;
}

export function pathRuleId(c: Context): string {
  const value = c.req.param("ruleId") ?? "";
  if (!RULE_ID_PATTERN.test(value)) throw notFound(`No rule "${value}".`);
  return value;
}

/** `If-Match: 12` or `"12"` (or `*`: no check). */
export function readIfMatch(c: Context): { ifMatch?: number } {
  const header = c.req.header("if-match")?.trim();
  if (header === undefined || header === "" || header === "*") return {};
  const match = /^(?:(?:W\/)?"(\d{1,15})"|(\d{1,15}))$/.exec(header);
  if (!match) throw invalidField("If-Match", `expected a version such as 12 or "12", not ${header}`, "invalid_header");
  return { ifMatch: Number(match[1] ?? match[2]) };
}
