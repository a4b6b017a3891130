/** The console's read pages: overview, instances, audit, explain. */
import { z } from "zod";
import type { InstanceList } from "../../../core/propagation.js";
import type { EvaluateResponse } from "../../../core/schemas/evaluate.js";
import type { Page } from "../../../core/schemas/paging.js";
import type { AuditEntryView, AuditHeadView, AuditVerification, BlockView, EnvironmentView, FlagState, FlagView } from "../../../core/schemas/responses.js";
import { readQuery } from "../../request.js";
import { ApiProblem, seg, type ConsoleApi, type Problem } from "../api-client.js";
import { formOf, type ConsoleApp, type ConsoleContext } from "../console-env.js";
import { AuditPage } from "../pages/audit.js";
import { ExplainPage, explainPath } from "../pages/explain.js";
import { InstancesPage, instancesPath } from "../pages/instances.js";
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
const auditQuerySchema = z.strictObject({ cursor: z.string().max(512).optional() });

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
    return c.html(OverviewPage({ ...data, viewer: c.get("viewer"), events: undefined }));
  });

  app.get(OVERVIEW_FRAGMENT, async (c) => {
    readQuery(c, noQuery);
    return c.html(OverviewBody(await overviewOf(c.get("api"))));
  });

  // Pages of one environment, reached from the navigation: the default environment's.
  app.get("/console/instances", async (c) => c.redirect(instancesPath(defaultEnv(await environmentsOf(c.get("api")))), 303));
  app.get("/console/explain", async (c) => c.redirect(explainPath(defaultEnv(await environmentsOf(c.get("api")))), 303));

  app.get("/console/envs/:env/instances", async (c) => {
    const env = c.req.param("env");
    readQuery(c, noQuery);
    const api = c.get("api");
    const [{ envs, current }, list] = await Promise.all([envsWith(api, env), api.get<InstanceList>(`/v1/envs/${seg(env)}/instances`)]);
    return c.html(InstancesPage({ viewer: c.get("viewer"), env, envs, version: current.version, list }));
  });

  app.get("/console/audit", async (c) => {
    const { cursor } = readQuery(c, auditQuerySchema);
    const api = c.get("api");
    const query = `limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const [page, verification, head] = await Promise.all([
      api.get<Page<AuditEntryView>>(`/v1/audit?${query}`),
      api.get<AuditVerification>("/v1/audit/verify"),
      api.get<AuditHeadView>("/v1/audit/head"),
    ]);
    return c.html(AuditPage({ viewer: c.get("viewer"), entries: page.items, nextCursor: page.nextCursor, verification, head }));
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
