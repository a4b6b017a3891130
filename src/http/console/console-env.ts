/** What every console handler reads from its context, and how it reads a form. */
import type { Context, Hono } from "hono";
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

/** The form's text fields (files are ignored: no console form takes one). */
export async function formOf(c: Context): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(body)) if (typeof value === "string") fields[name] = value;
  return fields;
}
