/**
 * Compiled rulesets for remote evaluation (OFREP, explain): one `Ruleset` per
 * (tenant, environment), reused while the environment's version is unchanged.
 *
 * Why it is shaped this way: OFREP sits in an application's request path, so a
 * request must cost one cheap read (the environment's version), never a snapshot
 * load or a recompilation. The version is read on every request rather than
 * pushed, because another process on the same database may have written: a
 * change is visible on the next request, as a revoked key is. When the version
 * moved, the change log patches the cached ruleset (recompiling only the touched
 * flags); when the log cannot replay the gap, a snapshot replaces it. A refresh
 * runs once per entry however many requests wait for it, and the cache is an LRU
 * bounded in entries.
 */
import { Ruleset, type Segment, type WireFlag } from "@killswitch/sdk";
import type { CommittedChange } from "../broadcaster.js";

/** What the cache reads. */
export interface RulesetSource {
  /** The environment's current version; rejects (404) for an unknown environment. */
  envVersion(tenantId: string, env: string): Promise<number>;
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
}

/** Refreshes one request may wait for before it answers with what it has. */
const MAX_REFRESHES = 3;

export class RulesetCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly now: () => number;

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
   * The environment's ruleset at its current version (or a later one). Rejects
   * like `source.envVersion` for an unknown environment. Evaluate synchronously
   * after the await: a later call may patch the same ruleset in place.
   */
  async get(tenantId: string, env: string): Promise<Ruleset> {
    const version = await this.source.envVersion(tenantId, env);
    const entry = this.entry(`${tenantId}/${env}`);
    for (let i = 0; entry.ruleset.version < version && i < MAX_REFRESHES; i++) {
      entry.refreshing ??= this.refresh(entry, tenantId, env).finally(() => {
        entry.refreshing = undefined;
      });
      await entry.refreshing;
    }
    return entry.ruleset;
  }

  /** The entry of an id, made most recently used; a new, empty one if absent. */
  private entry(id: string): Entry {
    let entry = this.entries.get(id);
    if (entry !== undefined) {
      this.entries.delete(id);
    } else {
      entry = { ruleset: new Ruleset({ now: this.now }) };
      // Map iteration follows insertion order: the first key is the least recently used.
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(id, entry);
    return entry;
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
