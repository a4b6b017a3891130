/** What every console handler reads from its context, and how it reads a form. */
import type { Context, Hono } from "hono";
import { invalidField } from "../../core/problem.js";
import type { ConsoleSession } from "../../core/store/index.js";
import type { ConsoleApi } from "./api-client.js";
import type { Viewer } from "./pages/layout.js";

export interface ConsoleEnv {
  Variables: {
    session: ConsoleSession;
    api: ConsoleApi;
    viewer: Viewer;
    /** Operator or admin: sees the write actions. */
    canWrite: boolean;
  };
}
export type ConsoleApp = Hono<ConsoleEnv>;
export type ConsoleContext = Context<ConsoleEnv>;

/**
 * The form's text fields (files are ignored: no console form takes one). A
 * field sent twice is refused rather than one copy picked: a browser never
 * sends the console's forms that way.
 */
export async function formOf(c: Context): Promise<Record<string, string>> {
  const body = await c.req.parseBody({ all: true });
  const fields: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(body)) {
    if (Array.isArray(value)) throw invalidField(name, `The field "${name}" was sent more than once.`, "duplicate");
    if (typeof value === "string") fields[name] = value;
  }
  return fields;
}
