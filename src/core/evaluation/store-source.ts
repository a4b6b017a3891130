/**
 * The ruleset cache's source over the tenant store: the environment's version
 * (from the store's memory, or one primary-key read), the snapshot and the change
 * log for refreshes.
 */
import type { Store } from "../store/index.js";
import type { RulesetSource } from "./ruleset-cache.js";

export function storeRulesetSource(store: Store): RulesetSource {
  return {
    envVersion: (tenantId, env) => store.envVersion(tenantId, env),
    snapshot: (tenantId, env) => store.snapshot(tenantId, env),
    changesSince: (tenantId, env, since) => store.changesSince(tenantId, env, since),
  };
}
