/**
 * Compiled rulesets for remote evaluation (OFREP, explain): one `Ruleset` per
 * (tenant, environment), reused while the environment's version is unchanged.
 *
 * Why it is shaped this way: OFREP sits in an application's request path, so a
 * request must cost no snapshot load and no recompilation, and in the steady
 * state no database read either: the source answers the environment's version
 * from memory (the store learns every version it commits; see
 * src/core/store/version-cache.ts), so a change is served on the request after
 * its commit. When the version moved, the change log patches the cached ruleset
 * (recompiling only the touched flags); when the log cannot replay the gap, a
 * snapshot replaces it. A refresh runs once per entry however many requests wait
 * for it, and the cache is an LRU bounded in entries.
 */
import { Ruleset, type Segment, type WireFlag } from "@killswitch/sdk";
import type { CommittedChange } from "../broadcaster.js";
import { PairMap } from "../store/pair-map.js";

/** What the cache reads. */
export interface RulesetSource {
  /**
   * The environment's current version, a plain number when known without a read;
   * rejects (404) for an unknown environment.
   */
  envVersion(tenantId: string, env: string): number | Promise<number>;
  snapshot(tenantId: string, env: string): Promise<{ version: number; flags: Record<string, WireFlag>; segments: Record<string, Segment> }>;
  /** Changes after `since`, oldest first, or null when the log cannot replay them all. */
  changesSince(tenantId: string, env: string, since: number): Promise<CommittedChange[] | null>;
}

export interface RulesetCacheOptions {
  /** Environments kept compiled; the least recently used is dropped beyond it. Default 1,000. */
  maxEntries?: number;
  /** The evaluator's clock for `currentTime`; default Date.now. */
  now?: () => number;
}

interface Entry {
  ruleset: Ruleset;
  /** The refresh in flight, shared by every request that needs it. */
  refreshing?: Promise<void> | undefined;
  /** When it was last read, on the cache's own tick: the smallest is the least recently used. */
  used: number;
}

/** Refreshes one request may wait for before it answers with what it has. */
const MAX_REFRESHES = 3;

export class RulesetCache {
  private readonly entries = new PairMap<Entry>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  private tick = 0;

  constructor(
    private readonly source: RulesetSource,
    options: RulesetCacheOptions = {},
  ) {
    this.maxEntries = Math.max(1, options.maxEntries ?? 1000);
    const now = options.now ?? Date.now;
    this.now = () => now();
  }

  /** Environments currently compiled. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The environment's ruleset at its current version (or a later one): the ruleset
   * itself when nothing needs reading (the steady state, so a request skips an
   * await), else a promise. Rejects like `source.envVersion` for an unknown
   * environment. Evaluate synchronously after it resolves: a later call may patch
   * the same ruleset in place.
   */
  get(tenantId: string, env: string): Ruleset | Promise<Ruleset> {
    const version = this.source.envVersion(tenantId, env);
    return typeof version === "number" ? this.at(tenantId, env, version) : version.then((known) => this.at(tenantId, env, known));
  }

  private at(tenantId: string, env: string, version: number): Ruleset | Promise<Ruleset> {
    const entry = this.entry(tenantId, env);
    return entry.ruleset.version >= version ? entry.ruleset : this.catchUp(entry, tenantId, env, version);
  }

  private async catchUp(entry: Entry, tenantId: string, env: string, version: number): Promise<Ruleset> {
    for (let i = 0; entry.ruleset.version < version && i < MAX_REFRESHES; i++) {
      entry.refreshing ??= this.refresh(entry, tenantId, env).finally(() => {
        entry.refreshing = undefined;
      });
      await entry.refreshing;
    }
    return entry.ruleset;
  }

  /** The entry of an environment, marked most recently used; a new, empty one if absent. */
  private entry(tenantId: string, env: string): Entry {
    let entry = this.entries.get(tenantId, env);
    if (entry === undefined) {
      if (this.entries.size >= this.maxEntries) this.dropLeastRecentlyUsed();
      entry = { ruleset: new Ruleset({ now: this.now }), used: 0 };
      this.entries.set(tenantId, env, entry);
    }
    entry.used = ++this.tick;
    return entry;
  }

  /** A scan, run only when a new environment is compiled into a full cache. */
  private dropLeastRecentlyUsed(): void {
    let oldest: [string, string, Entry] | undefined;
    for (const item of this.entries.entries()) {
      if (oldest === undefined || item[2].used < oldest[2].used) oldest = item;
    }
    if (oldest !== undefined) this.entries.delete(oldest[0], oldest[1]);
  }

  private async refresh(entry: Entry, tenantId: string, env: string): Promise<void> {
    const { ruleset } = entry;
    if (ruleset.version >= 0) {
      const changes = await this.source.changesSince(tenantId, env, ruleset.version);
      if (changes !== null && changes.length > 0 && contiguous(changes, ruleset.version)) {
        // Synchronous: no request evaluates a half-applied list.
        for (const change of changes) ruleset.patch(change, change.version);
        return;
      }
    }
    const snapshot = await this.source.snapshot(tenantId, env);
    // A slower read may have lost the race to a newer state: never go back.
    if (snapshot.version > ruleset.version) ruleset.load(snapshot.flags, snapshot.segments, snapshot.version);
  }
}

/** Whether the changes follow `from` one after another. */
function contiguous(changes: readonly CommittedChange[], from: number): boolean {
  let version = from;
  for (const change of changes) {
    if (change.prev !== version) return false;
    version = change.version;
  }
  return true;
}
