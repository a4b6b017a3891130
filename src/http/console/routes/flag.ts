/**
 * A flag's page, its propagation fragment, and the write forms: block, kill,
 * restore and rule removal. Each form posts here; the console turns it into the
 * API's JSON body, sends it to the API's own route, and answers with the flag's
 * page and the change's propagation (303), or the form again with the API's
 * problem.
 */
import type { FlagConfig, Segment } from "@killswitch/sdk";
import { z } from "zod";
import type { AttributeView, BlockView, PropagationReceipt, VersionAnswer } from "../../../core/schemas/responses.js";
import { invalidField } from "../../../core/problem.js";
import { readQuery } from "../../request.js";
import { ApiProblem, seg, type ConsoleApi, type Problem } from "../api-client.js";
import { formOf, type ConsoleApp, type ConsoleContext } from "../console-env.js";
import {
  BlockPage,
  ConfirmPage,
  MAX_CONDITION_ROWS,
  type BlockFormValues,
  type ConditionRow,
  type ConfirmAction,
} from "../pages/actions.js";
import { ErrorPage } from "../pages/error.js";
import { FlagPage, flagPath } from "../pages/flag.js";
import { Propagation } from "../pages/propagation.js";
import { allOf, environmentsOf, flagStateOf, listOf } from "./lists.js";

const flagQuerySchema = z.strictObject({
  change: z.coerce.number().int().min(0).optional(),
});


/** The API path of a flag's config in an environment. */
const configPath = (env: string, key: string) => `/v1/envs/${seg(env)}/flags/${seg(key)}`;

export async function receiptOf(api: ConsoleApi, env: string, version: number): Promise<PropagationReceipt | null> {
  try {
    return await api.get<PropagationReceipt>(`/v1/envs/${seg(env)}/changes/${version}`);
  } catch (error) {
    if (error instanceof ApiProblem && error.status === 404) return null;
    throw error;
  }
}


function forbiddenUnlessWriter(c: ConsoleContext): Response | Promise<Response> | null {
  if (c.get("canWrite")) return null;
  return c.html(ErrorPage({ viewer: c.get("viewer"), status: 403, detail: "A viewer key cannot change flags." }), 403);
}

export function flagRoutes(app: ConsoleApp): void {
  app.get("/console/envs/:env/flags/:key", async (c) => {
    const { env, key } = c.req.param();
    const { change } = readQuery(c, flagQuerySchema);
    const api = c.get("api");
    const [config, state, blocks, envs] = await Promise.all([
      api.get<FlagConfig>(configPath(env, key)), // first: 404 for an unknown flag or environment
      flagStateOf(api, env, key),
      allOf<BlockView>(api, `/v1/envs/${seg(env)}/blocks`),
      environmentsOf(api),
    ]);
    const propagation = change === undefined ? undefined : { env, version: change, receipt: await receiptOf(api, env, change) };
    return c.html(
      FlagPage({
        viewer: c.get("viewer"),
        canWrite: c.get("canWrite"),
        env,
        envs: envs.map((e) => e.key),
        state,
        config,
        blocks: blocks.filter((b) => b.flag === key),
        propagation,
      }),
    );
  });

  // The propagation bar alone, fetched again by console.js while the receipt is pending.
  app.get("/console/envs/:env/changes/:version", async (c) => {
    const env = c.req.param("env");
    const version = Number(c.req.param("version"));
    if (!Number.isSafeInteger(version) || version < 0) throw new ApiProblem({ type: "", title: "", status: 404, detail: "No such version." });
    readQuery(c, z.strictObject({}));
    return c.html(Propagation({ env, version, receipt: await receiptOf(c.get("api"), env, version) }));
  });

  app.get("/console/envs/:env/flags/:key/block", async (c) => {
    const refused = forbiddenUnlessWriter(c);
    if (refused) return refused;
    const { env, key } = c.req.param();
    readQuery(c, z.strictObject({}));
    await c.get("api").get(configPath(env, key)); // 404 for an unknown flag or environment
    return renderBlock(c, env, key, emptyBlock(), undefined, 200);
  });

  app.post("/console/envs/:env/flags/:key/block", async (c) => {
    const refused = forbiddenUnlessWriter(c);
    if (refused) return refused;
    const { env, key } = c.req.param();
    const form = await formOf(c);
    const values = blockValues(form);
    if (form.intent === "add-condition") {
      values.rows.push(emptyRow());
      return renderBlock(c, env, key, values, undefined, 200);
    }
    const body = blockBody(values);
    if ("problem" in body) return renderBlock(c, env, key, values, body.problem as Problem, 400);
    try {
      const answer = await c.get("api").send<VersionAnswer>("POST", `${configPath(env, key)}/block`, body);
      return c.redirect(`${flagPath(env, key)}?change=${answer.version}#propagation`, 303);
    } catch (error) {
      if (error instanceof ApiProblem && error.status < 500) return renderBlock(c, env, key, values, error.problem, error.status);
      throw error;
    }
  });

  for (const action of ["kill", "restore"] as const) {
    app.get(`/console/envs/:env/flags/:key/${action}`, async (c) => {
      const refused = forbiddenUnlessWriter(c);
      if (refused) return refused;
      const { env, key } = c.req.param();
      readQuery(c, z.strictObject({}));
      await c.get("api").get(configPath(env, key));
      return renderConfirm(c, { env, key, action, values: { reason: "", directive: "" } }, undefined, 200);
    });
    app.post(`/console/envs/:env/flags/:key/${action}`, async (c) => {
      const refused = forbiddenUnlessWriter(c);
      if (refused) return refused;
      const { env, key } = c.req.param();
      return confirmAndSend(c, { env, key, action }, "POST", `${configPath(env, key)}/${action}`);
    });
  }

  app.get("/console/envs/:env/flags/:key/rules/:ruleId/remove", async (c) => {
    const refused = forbiddenUnlessWriter(c);
    if (refused) return refused;
    const { env, key, ruleId } = c.req.param();
    readQuery(c, z.strictObject({}));
    const rule = await ruleOf(c.get("api"), env, key, ruleId);
    return renderConfirm(c, { env, key, action: "remove", rule, values: { reason: "", directive: "" } }, undefined, 200);
  });

  app.post("/console/envs/:env/flags/:key/rules/:ruleId/remove", async (c) => {
    const refused = forbiddenUnlessWriter(c);
    if (refused) return refused;
    const { env, key, ruleId } = c.req.param();
    const rule = await ruleOf(c.get("api"), env, key, ruleId);
    return confirmAndSend(c, { env, key, action: "remove", rule }, "DELETE", `${configPath(env, key)}/rules/${seg(ruleId)}`);
  });
}

async function ruleOf(api: ConsoleApi, env: string, key: string, ruleId: string) {
  const config = await api.get<FlagConfig>(configPath(env, key));
  const rule = config.rules.find((r) => r.id === ruleId);
  if (!rule) throw new ApiProblem({ type: "", title: "", status: 404, detail: `No rule "${ruleId}" on ${key} in ${env}: it may have been removed meanwhile.` });
  return rule;
}

interface ConfirmTarget {
  env: string;
  key: string;
  action: ConfirmAction;
  rule?: FlagConfig["rules"][number] | undefined;
}

/** Kill always, and removing a rule that carries a directive, need the flag's key typed. */
const needsTyping = (target: ConfirmTarget) => target.action === "kill" || (target.action === "remove" && target.rule?.directive !== undefined);

function renderConfirm(
  c: ConsoleContext,
  target: ConfirmTarget & { values: { reason: string; directive: string } },
  problem: Problem | undefined,
  status: number,
) {
  return c.html(
    ConfirmPage({
      viewer: c.get("viewer"),
      env: target.env,
      flag: target.key,
      action: target.action,
      rule: target.rule,
      typed: needsTyping(target),
      values: target.values,
      problem,
    }),
    status as 200,
  );
}

async function confirmAndSend(c: ConsoleContext, target: ConfirmTarget, method: "POST" | "DELETE", path: string) {
  const form = await formOf(c);
  const values = { reason: form.reason ?? "", directive: form.directive ?? "" };
  if (needsTyping(target) && (form.confirm ?? "").trim() !== target.key) {
    const problem = localProblem(`Type the flag's key, ${target.key}, to confirm.`, "confirm");
    return renderConfirm(c, { ...target, values }, problem, 400);
  }
  const body = { reason: values.reason.trim(), ...(values.directive.trim() ? { directive: values.directive.trim() } : {}) };
  try {
    const answer = await c.get("api").send<VersionAnswer>(method, path, body);
    return c.redirect(`${flagPath(target.env, target.key)}?change=${answer.version}#propagation`, 303);
  } catch (error) {
    if (error instanceof ApiProblem && error.status < 500) return renderConfirm(c, { ...target, values }, error.problem, error.status);
    throw error;
  }
}

/** A refusal the console makes itself before calling the API (the typed confirmation, an empty block). */
function localProblem(detail: string, path: string): Problem {
  return { type: "https://killswitch.dev/problems/validation", title: "Invalid request", status: 400, detail, errors: [{ path, message: detail, code: "custom" }] };
}

const emptyRow = (): ConditionRow => ({ attribute: "", op: "notIn", values: "" });
const emptyBlock = (): BlockFormValues => ({ by: "conditions", segment: "", rows: [emptyRow()], reason: "", directive: "", description: "" });

function blockValues(form: Record<string, string>): BlockFormValues {
  // The form's own hidden count of condition rows: digits, or the form was not the console's.
  const given = form.rows ?? "1";
  if (!/^\d{1,6}$/.test(given)) throw invalidField("rows", "The number of condition rows must be a whole number.", "invalid_type");
  const count = Math.min(Math.max(Number(given), 1), MAX_CONDITION_ROWS);
  const rows: ConditionRow[] = [];
  for (let i = 0; i < count; i++) rows.push({ attribute: form[`attribute-${i}`] ?? "", op: form[`op-${i}`] ?? "notIn", values: form[`values-${i}`] ?? "" });
  return {
    by: form.by === "segment" ? "segment" : "conditions",
    segment: form.segment ?? "",
    rows,
    reason: form.reason ?? "",
    directive: form.directive ?? "",
    description: form.description ?? "",
  };
}

/**
 * The block form as the API's body. Values are split on commas and sent as
 * strings, numbers for the numeric operators: the API says what is wrong with them.
 */
function blockBody(values: BlockFormValues): Record<string, unknown> | { problem: Problem } {
  const common = {
    reason: values.reason.trim(),
    ...(values.directive.trim() ? { directive: values.directive.trim() } : {}),
    ...(values.description.trim() ? { description: values.description.trim() } : {}),
  };
  if (values.by === "segment") {
    if (values.segment === "") return { problem: localProblem("Choose the segment to block.", "segment") };
    return { ...common, segment: values.segment };
  }
  const when = values.rows
    .filter((row) => row.attribute !== "")
    .map((row) => {
      const list = row.values.split(",").map((v) => v.trim()).filter((v) => v !== "");
      const numeric = ["lt", "lte", "gt", "gte"].includes(row.op);
      const typed = list.map((v) => (numeric && Number.isFinite(Number(v)) ? Number(v) : v));
      return row.op === "exists" || row.op === "missing" ? { attribute: row.attribute, op: row.op } : { attribute: row.attribute, op: row.op, values: typed };
    });
  if (when.length === 0) return { problem: localProblem("Choose an attribute for at least one condition, or block a segment.", "when") };
  return { ...common, when };
}

async function renderBlock(c: ConsoleContext, env: string, key: string, values: BlockFormValues, problem: Problem | undefined, status: number) {
  const api = c.get("api");
  const [attributes, segments] = await Promise.all([
    listOf<AttributeView>(api, "/v1/attributes"),
    listOf<Segment>(api, `/v1/envs/${seg(env)}/segments`),
  ]);
  return c.html(
    BlockPage({
      viewer: c.get("viewer"),
      env,
      flag: key,
      attributes: attributes.map((a) => a.name),
      segments: segments.map((s) => ({ key: s.key, description: s.description })),
      values,
      problem,
    }),
    status as 200,
  );
}
