/**
 * `POST /v1/envs/{env}/evaluate`: the operator's "why is this user blocked?" —
 * per flag, what it serves to a context and, rule by rule, whether it matched and
 * which condition failed. Any key of the tenant except sdk keys. Answers in the
 * contract's order: 401/403 (middleware, role) → 404 (environment) → 400 (body).
 */
import { explainFlags } from "../../core/evaluation/explain-flags.js";
import { rulesetCacheOf } from "../../core/evaluation/shared-cache.js";
import { evaluateRequestSchema, type EvaluateResponse } from "../../core/schemas/evaluate.js";
import type { App, AppDeps } from "../app-env.js";
import { requireKey } from "../auth.js";
import { noQuery, pathKey, readBody } from "../request.js";

export function evaluateRoutes(app: App, { store, clock }: AppDeps): void {
  const cache = rulesetCacheOf(store, { now: clock });

  app.post("/v1/envs/:env/evaluate", async (c) => {
    const key = requireKey(c, "viewer");
    const env = pathKey(c, "env", "environment");
    const ruleset = await cache.get(key.tenantId, env);
    noQuery(c);
    const { context, flags } = await readBody(c, evaluateRequestSchema);
    // Read the version before explaining: both come from the same synchronous pass.
    const answer: EvaluateResponse = { env, version: ruleset.version, flags: explainFlags(ruleset, context, flags) };
    return c.json(answer);
  });
}
