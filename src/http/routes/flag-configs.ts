/**
 * A flag's config in one environment, and the directive actions on it. Each
 * handler resolves the path first (404), then reads the body (400), then writes
 * (409 on a stale If-Match). An action given `at` is scheduled instead (202 and
 * the schedule entry); a kill or block given `until` lifts itself then.
 */
import { notFound } from "../../core/problem.js";
import { blockSchema, killSchema, restoreSchema, ruleRemovalSchema } from "../../core/schemas/actions.js";
import { flagConfigInputSchema } from "../../core/schemas/flag-config.js";
import type { App, AppDeps } from "../app-env.js";
import { actorOf, requireKey } from "../auth.js";
import { noQuery, pathKey, pathRuleId, readBody, readIfMatch } from "../request.js";

const CONFIG = "/v1/envs/:env/flags/:key";

export function flagConfigRoutes(app: App, { store }: AppDeps): void {
  const target = (c: Parameters<typeof pathKey>[0]) => ({ env: pathKey(c, "env", "environment"), flag: pathKey(c, "key", "flag") });

  app.get(CONFIG, async (c) => {
    const key = requireKey(c, "viewer");
    const { env, flag } = target(c);
    const config = await store.getFlagConfig(key.tenantId, env, flag);
    noQuery(c);
    return c.json(config);
  });

  app.put(CONFIG, async (c) => {
    const key = requireKey(c, "operator");
    const { env, flag } = target(c);
    await store.getFlagConfig(key.tenantId, env, flag);
    noQuery(c);
    const options = readIfMatch(c);
    const input = await readBody(c, flagConfigInputSchema);
    return c.json(await store.putFlagConfig(key.tenantId, actorOf(c), env, flag, input, options));
  });

  app.post(`${CONFIG}/kill`, async (c) => {
    const key = requireKey(c, "operator");
    const { env, flag } = target(c);
    await store.getFlagConfig(key.tenantId, env, flag);
    noQuery(c);
    const options = readIfMatch(c);
    const input = await readBody(c, killSchema);
    if (input.at !== undefined) {
      return c.json(await store.schedule.create(key.tenantId, actorOf(c), env, flag, { action: "kill", input: { ...input, at: input.at } }, options), 202);
    }
    return c.json(await store.killFlag(key.tenantId, actorOf(c), env, flag, input, options));
  });

  app.post(`${CONFIG}/restore`, async (c) => {
    const key = requireKey(c, "operator");
    const { env, flag } = target(c);
    await store.getFlagConfig(key.tenantId, env, flag);
    noQuery(c);
    const options = readIfMatch(c);
    const input = await readBody(c, restoreSchema);
    if (input.at !== undefined) {
      return c.json(await store.schedule.create(key.tenantId, actorOf(c), env, flag, { action: "restore", input: { ...input, at: input.at } }, options), 202);
    }
    return c.json(await store.restoreFlag(key.tenantId, actorOf(c), env, flag, input, options));
  });

  app.post(`${CONFIG}/block`, async (c) => {
    const key = requireKey(c, "operator");
    const { env, flag } = target(c);
    await store.getFlagConfig(key.tenantId, env, flag);
    noQuery(c);
    const options = readIfMatch(c);
    const input = await readBody(c, blockSchema);
    if (input.at !== undefined) {
      const block = { segment: input.segment, when: input.when, description: input.description };
      const request = { action: "block" as const, input: { ...input, at: input.at }, block: JSON.parse(JSON.stringify(block)) };
      return c.json(await store.schedule.create(key.tenantId, actorOf(c), env, flag, request, options), 202);
    }
    return c.json(await store.blockFlag(key.tenantId, actorOf(c), env, flag, input, options));
  });

  app.delete(`${CONFIG}/rules/:ruleId`, async (c) => {
    const key = requireKey(c, "operator");
    const { env, flag } = target(c);
    const ruleId = pathRuleId(c);
    const config = await store.getFlagConfig(key.tenantId, env, flag);
    if (!config.rules.some((rule) => rule.id === ruleId)) throw notFound(`No rule "${ruleId}" on flag "${flag}" in "${env}".`);
    noQuery(c);
    const options = readIfMatch(c);
    const input = await readBody(c, ruleRemovalSchema);
    if (input.at !== undefined) {
      const request = { action: "rule.remove" as const, input: { ...input, at: input.at }, ruleId };
      return c.json(await store.schedule.create(key.tenantId, actorOf(c), env, flag, request, options), 202);
    }
    return c.json(await store.removeRule(key.tenantId, actorOf(c), env, flag, ruleId, input, options));
  });
}
