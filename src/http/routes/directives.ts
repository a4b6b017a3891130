/**
 * Directives as records: operators record, edit and lift them; admins delete
 * them; everyone with a viewer key reads them. The ref travels in the path
 * percent-encoded (it is free text, as writes carry it in `directive`).
 */
import type { Context } from "hono";
import { accepts } from "hono/accepts";
import { reportMarkdown } from "../../core/reports/report-markdown.js";
import { stringFault } from "../../core/json-input.js";
import { notFound } from "../../core/problem.js";
import { directiveSchema } from "../../core/schemas/common.js";
import {
  directiveCreateSchema,
  directiveDeleteSchema,
  directiveLiftSchema,
  directiveListQuerySchema,
  directivePatchSchema,
} from "../../core/schemas/directive.js";
import type { App, AppDeps } from "../app-env.js";
import { actorOf, requireKey } from "../auth.js";
import { noQuery, readBody, readQuery } from "../request.js";
import { reportPage } from "./report-page.js";

const REPORT_TYPES = ["application/json", "text/markdown", "text/html"];

/** The ref from the path; one no write could carry cannot exist. */
export function pathRef(c: Context): string {
  const value = c.req.param("ref") ?? "";
  const parsed = directiveSchema.safeParse(value);
  if (!parsed.success || parsed.data !== value || stringFault(value) !== null) throw notFound(`No directive "${value}".`);
  return value;
}

export function directiveRoutes(app: App, { store }: AppDeps): void {
  /** The record itself (404 for a ref that changes carry without one): what edits need. */
  const requireRecord = async (tenantId: string, ref: string) => {
    const directive = await store.getDirective(tenantId, ref);
    if (directive.status === "unrecorded") throw notFound(`No directive record "${ref}": record it with POST /v1/directives.`);
    return directive;
  };

  app.get("/v1/directives", async (c) => {
    const key = requireKey(c, "viewer");
    return c.json(await store.listDirectives(key.tenantId, readQuery(c, directiveListQuerySchema)));
  });

  app.post("/v1/directives", async (c) => {
    const key = requireKey(c, "operator");
    noQuery(c);
    const input = await readBody(c, directiveCreateSchema);
    return c.json(await store.createDirective(key.tenantId, actorOf(c), input), 201);
  });

  app.get("/v1/directives/:ref", async (c) => {
    const key = requireKey(c, "viewer");
    const directive = await store.getDirective(key.tenantId, pathRef(c));
    noQuery(c);
    return c.json(directive);
  });

  /** The report: JSON by default, Markdown or a printable page by Accept. */
  app.get("/v1/directives/:ref/report", async (c) => {
    const key = requireKey(c, "viewer");
    const ref = pathRef(c);
    await store.getDirective(key.tenantId, ref);
    noQuery(c);
    const report = await store.directiveReport(key.tenantId, ref);
    c.header("Vary", "Accept");
    switch (accepts(c, { header: "Accept", supports: REPORT_TYPES, default: "application/json" })) {
      case "text/markdown":
        return c.body(reportMarkdown(report), 200, { "Content-Type": "text/markdown; charset=utf-8" });
      case "text/html":
        return c.html(reportPage(report));
      default:
        return c.json(report);
    }
  });

  app.patch("/v1/directives/:ref", async (c) => {
    const key = requireKey(c, "operator");
    const ref = pathRef(c);
    await requireRecord(key.tenantId, ref);
    noQuery(c);
    const input = await readBody(c, directivePatchSchema);
    return c.json(await store.patchDirective(key.tenantId, actorOf(c), ref, input));
  });

  app.post("/v1/directives/:ref/lift", async (c) => {
    const key = requireKey(c, "operator");
    const ref = pathRef(c);
    await requireRecord(key.tenantId, ref);
    noQuery(c);
    const input = await readBody(c, directiveLiftSchema);
    return c.json(await store.liftDirective(key.tenantId, actorOf(c), ref, input));
  });

  app.delete("/v1/directives/:ref", async (c) => {
    const key = requireKey(c, "admin");
    const ref = pathRef(c);
    await requireRecord(key.tenantId, ref);
    noQuery(c);
    const input = await readBody(c, directiveDeleteSchema);
    await store.deleteDirective(key.tenantId, actorOf(c), ref, input);
    return c.body(null, 204);
  });
}
