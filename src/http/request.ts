/**
 * Reading requests: JSON bodies through zod, query strings, path keys, If-Match.
 */
import type { Context } from "hono";
import { z } from "zod";
import { jsonInputFaults } from "../core/json-input.js";
import { invalid, invalidField, notFound, ProblemError, type FieldError } from "../core/problem.js";
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

/** The query of a route that takes none. */
export const noQuerySchema = z.strictObject({});

/**
 * A query string as `schema` (a strict object) reads it. A parameter given
 * twice, a name or value that could not be stored (src/core/json-input.ts), or
 * a name the route does not take is a 400, as unknown body fields are: a typo
 * such as `?limt=5` must not silently serve the default.
 */
export function parseQuery<S extends z.ZodObject>(query: Record<string, string[]>, schema: S): z.output<S> {
  const single: Record<string, string> = Object.create(null);
  const errors: FieldError[] = [];
  for (const [name, values] of Object.entries(query)) {
    if (values.length > 1) errors.push({ path: name, message: `given ${values.length} times; give it once`, code: "repeated_parameter" });
    single[name] = values[0] ?? "";
  }
  errors.push(...jsonInputFaults(single));
  if (errors.length > 0) throw invalid(errors);
  const parsed = schema.safeParse(single);
  if (parsed.success) return parsed.data;
  const taken = Object.keys(schema.shape);
  const takes = taken.length === 0 ? "this route takes no query parameters" : `this route takes ${taken.join(", ")}`;
  throw invalid(
    toFieldErrors(parsed.error.issues).map((e) => (e.code === "unrecognized_keys" ? { ...e, message: `unknown query parameter; ${takes}` } : e)),
  );
}

/** A query string (`a=1&a=2&b`, with or without its `?`) as the record parseQuery reads: for hosts outside the app. */
export function queryRecord(search: string): Record<string, string[]> {
  const record: Record<string, string[]> = Object.create(null);
  for (const [name, value] of new URLSearchParams(search)) (record[name] ??= []).push(value);
  return record;
}

export function readQuery<S extends z.ZodObject>(c: Context, schema: S): z.output<S> {
  return parseQuery(c.req.queries(), schema);
}

/** For routes without query parameters: any parameter is refused. */
export function noQuery(c: Context): void {
  // Most requests have no query string at all: nothing to parse.
  if (c.req.url.includes("?")) readQuery(c, noQuerySchema);
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
