/** The console's read pages: overview, instances, audit, explain. */
import { z } from "zod";
import type { InstanceList } from "../../../core/receipts/receipt.js";
import type { EvaluateResponse } from "../../../core/schemas/evaluate.js";
import type { Page } from "../../../core/schemas/paging.js";
import type { AuditEntryView, AuditHeadView, AuditVerification, BlockView, DirectiveView, EnvironmentView, FlagState, FlagView } from "../../../core/schemas/responses.js";
import { readQuery } from "../../request.js";
import { ApiProblem, seg, type ConsoleApi, type Problem } from "../api-client.js";
import { formOf, type ConsoleApp, type ConsoleContext } from "../console-env.js";
import { AUDIT_FILTERS, AuditPage } from "../pages/audit.js";
import { DirectivePage, DirectivesPage, directivePath } from "../pages/directives.js";
import { consoleCsp } from "../security-headers.js";
import { ExplainPage, explainPath } from "../pages/explain.js";
import { InstancesBody, InstancesPage, instancesPath } from "../pages/instances.js";
import { OVERVIEW_FRAGMENT, OverviewBody, OverviewPage, type OverviewProps } from "../pages/overview.js";
import { allOf, defaultEnv, environmentsOf, listOf } from "./lists.js";

/** Every environment's flag states and blocks. */
async function overviewOf(api: ConsoleApi): Promise<OverviewProps> {
  const [envs, flags] = await Promise.all([environmentsOf(api), allOf<FlagView>(api, "/v1/flags")]);
  const perEnv = await Promise.all(
    envs.map(async ({ key }) => {
      const [states, blocks] = await Promise.all([
        allOf<FlagState>(api, `/v1/envs/${seg(key)}/flags`),
        allOf<BlockView>(api, `/v1/envs/${seg(key)}/blocks`),
      ]);
      return { env: key, states, blocks };
    }),
  );
  return {
    envs: envs.map((e) => e.key),
    flags: flags.map((f) => ({ key: f.key, description: f.description ?? null })),
    states: Object.fromEntries(perEnv.map(({ env, states }) => [env, Object.fromEntries(states.map((s) => [s.key, s]))])),
    blocks: perEnv.flatMap(({ env, blocks }) => blocks.map((b) => ({ ...b, env }))),
  };
}

const noQuery = z.strictObject({});
const filter = z.string().max(200).optional();
const auditQuerySchema = z.strictObject({
  cursor: z.string().max(512).optional(),
  flag: filter,
  env: filter,
  actor: filter,
  directive: filter,
  action: filter,
  since: filter,
  until: filter,
});

/** A CSP source for an inline style: `sha256-<base64 of the digest of its text>`. */
async function styleDigest(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return `sha256-${btoa(String.fromCharCode(...digest))}`;
}

/** `2026-11-27T17:21` (a datetime-local field, read as UTC) as an ISO 8601 instant; anything else as given. */
function utcInstant(value: string): string {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(value) ? `${value}:00Z` : value;
}

/** The environment in the path, which must exist (404 otherwise), and every environment's key. */
async function envsWith(api: Parameters<typeof environmentsOf>[0], env: string): Promise<{ envs: string[]; current: EnvironmentView }> {
  const envs = await environmentsOf(api);
  const current = envs.find((e) => e.key === env);
  if (!current) throw new ApiProblem({ type: "", title: "", status: 404, detail: `No environment "${env}".` });
  return { envs: envs.map((e) => e.key), current };
}

export function pageRoutes(app: ConsoleApp): void {
  app.get("/console", async (c) => {
    readQuery(c, noQuery);
    const data = await overviewOf(c.get("api"));
    return c.html(OverviewPage({ ...data, viewer: c.get("viewer") }));
  });

  app.get(OVERVIEW_FRAGMENT, async (c) => {
    readQuery(c, noQuery);
    return c.html(OverviewBody(await overviewOf(c.get("api"))));
  });

  // Pages of one environment, reached from the navigation: the default environment's.
  app.get("/console/instances", async (c) => c.redirect(instancesPath(defaultEnv(await environmentsOf(c.get("api")))), 303));
  app.get("/console/explain", async (c) => c.redirect(explainPath(defaultEnv(await environmentsOf(c.get("api")))), 303));

  const instancesOf = async (c: ConsoleContext) => {
    const env = c.req.param("env")!;
    readQuery(c, noQuery);
    const api = c.get("api");
    const [{ envs, current }, list] = await Promise.all([envsWith(api, env), api.get<InstanceList>(`/v1/envs/${seg(env)}/instances`)]);
    return { env, envs, version: current.version, list };
  };
  app.get("/console/envs/:env/instances", async (c) => c.html(InstancesPage({ viewer: c.get("viewer"), ...(await instancesOf(c)) })));
  app.get("/console/fragments/envs/:env/instances", async (c) => c.html(InstancesBody(await instancesOf(c))));

  app.get("/console/audit", async (c) => {
    const { cursor, ...filters } = readQuery(c, auditQuerySchema);
    const api = c.get("api");
    const query = new URLSearchParams({ limit: "50" });
    for (const name of AUDIT_FILTERS) {
      const value = filters[name];
      // The form's datetime-local fields are UTC to the minute; the API takes ISO 8601 instants.
      if (value) query.set(name, name === "since" || name === "until" ? utcInstant(value) : value);
    }
    if (cursor) query.set("cursor", cursor);
    const [page, verification, head] = await Promise.all([
      api.get<Page<AuditEntryView>>(`/v1/audit?${query}`).catch((error: unknown) => {
        if (error instanceof ApiProblem && error.status === 400) return error.problem;
        throw error;
      }),
      api.get<AuditVerification>("/v1/audit/verify"),
      api.get<AuditHeadView>("/v1/audit/head"),
    ]);
    const refused = "detail" in page ? page : undefined;
    const entries = "items" in page ? page : { items: [] };
    const html = AuditPage({ viewer: c.get("viewer"), filters, entries: entries.items, nextCursor: entries.nextCursor, verification, head, problem: refused });
    return c.html(html, refused ? 400 : 200);
  });

  app.get("/console/directives", async (c) => {
    readQuery(c, noQuery);
    const directives = await allOf<DirectiveView>(c.get("api"), "/v1/directives");
    return c.html(DirectivesPage({ viewer: c.get("viewer"), directives }));
  });

  app.get("/console/directives/:ref", async (c) => {
    const ref = c.req.param("ref");
    readQuery(c, noQuery);
    const api = c.get("api");
    const [directive, entries] = await Promise.all([
      api.get<DirectiveView>(`/v1/directives/${seg(ref)}`),
      allOf<AuditEntryView>(api, `/v1/audit?directive=${encodeURIComponent(ref)}`),
    ]);
    // The audit log lists newest first; a timeline reads oldest first.
    const report = `${directivePath(ref)}/report`;
    return c.html(DirectivePage({ viewer: c.get("viewer"), directive, timeline: entries.reverse(), report }));
  });

  // The API's printable report as it renders it; its inline style is admitted by its digest, and nothing else.
  app.get("/console/directives/:ref/report", async (c) => {
    const ref = c.req.param("ref");
    readQuery(c, noQuery);
    const answer = await c.get("api").fetch(`/v1/directives/${seg(ref)}/report`, { headers: { accept: "text/html" } });
    if (!answer.ok) throw new ApiProblem((await answer.json()) as Problem);
    const page = await answer.text();
    const styles = [...page.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((match) => match[1] ?? "");
    c.header("Content-Security-Policy", consoleCsp(await Promise.all(styles.map(styleDigest))));
    return c.html(page);
  });

  const explain = async (c: ConsoleContext, values: { context: string; flag: string }, run: boolean) => {
    const env = c.req.param("env")!;
    const api = c.get("api");
    const [{ envs }, flags] = await Promise.all([envsWith(api, env), listOf<FlagView>(api, "/v1/flags")]);
    let answer: EvaluateResponse | undefined;
    let problem: Problem | undefined;
    if (run) {
      let context: unknown;
      try {
        context = JSON.parse(values.context);
      } catch (error) {
        problem = { type: "", title: "", status: 400, detail: `The context is not valid JSON: ${(error as Error).message}` };
      }
      if (problem === undefined) {
        try {
          const body = { context, ...(values.flag ? { flags: [values.flag] } : {}) };
          answer = await api.send<EvaluateResponse>("POST", `/v1/envs/${seg(env)}/evaluate`, body);
        } catch (error) {
          if (!(error instanceof ApiProblem) || error.status >= 500) throw error;
          problem = error.problem;
        }
      }
    }
    const page = ExplainPage({ viewer: c.get("viewer"), env, envs, flags: flags.map((f) => f.key), values, answer, problem });
    return c.html(page, problem ? 400 : 200);
  };

  app.get("/console/envs/:env/explain", async (c) => {
    readQuery(c, noQuery);
    return explain(c, { context: '{\n  "key": "user-1",\n  "nationality": "FR"\n}', flag: "" }, false);
  });
  app.post("/console/envs/:env/explain", async (c) => {
    const form = await formOf(c);
    return explain(c, { context: form.context ?? "", flag: form.flag ?? "" }, true);
  });
}
