/**
 * One ruleset cache per store, shared by every route that evaluates (OFREP and
 * explain), so an environment is compiled once however many routes read it.
 * Keyed weakly: a store that is dropped (a closed server, a hibernated Durable
 * Object) takes its cache with it.
 */
import type { Store } from "../store/index.js";
import { RulesetCache, type RulesetCacheOptions } from "./ruleset-cache.js";
import { storeRulesetSource } from "./store-source.js";

const caches = new WeakMap<Store, RulesetCache>();

/** The store's cache; `options` apply when this call creates it. */
export function rulesetCacheOf(store: Store, options?: RulesetCacheOptions): RulesetCache {
  let cache = caches.get(store);
  if (cache === undefined) {
    cache = new RulesetCache(storeRulesetSource(store), options);
    caches.set(store, cache);
  }
  return cache;
}
