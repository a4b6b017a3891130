/**
 * Each environment's current version, kept in memory so that evaluation (OFREP,
 * explain) costs no database read to learn whether its compiled ruleset is
 * current.
 *
 * Why it is exact: versions only move through this store's commits, and the
 * store raises the entry as soon as a commit returns, before the write is
 * answered, so the next request sees the new version. Versions only grow, so a
 * read that returns after a commit raised the entry cannot lower it. A commit
 * that fails drops the entries it touched (it may have landed all the same), and
 * a drop starts a new generation in which reads begun earlier are not kept.
 * Commits by another process on the same database reach it through `raise`
 * (`store.invalidateEnvironment`), called by the Node host's commit tail.
 *
 * Unknown environments are not remembered (each lookup reads again), and the map
 * is bounded: beyond `maxEntries` the oldest entry is dropped.
 */
import { PairMap } from "./pair-map.js";

export class VersionCache {
  readonly #versions = new PairMap<number>();
  #generation = 0;

  constructor(private readonly maxEntries = 10_000) {}

  get size(): number {
    return this.#versions.size;
  }

  /** Taken before a database read and handed to `fill`: a drop in between voids the read. */
  get generation(): number {
    return this.#generation;
  }

  get(tenantId: string, env: string): number | undefined {
    return this.#versions.get(tenantId, env);
  }

  /** Keeps a version read from the database unless an entry was dropped since `generation`. */
  fill(tenantId: string, env: string, version: number, generation: number): void {
    if (generation === this.#generation) this.raise(tenantId, env, version);
  }

  /** An environment is at `version` or later: this store committed it, or was told of it. */
  raise(tenantId: string, env: string, version: number): void {
    const known = this.#versions.get(tenantId, env);
    if (known !== undefined) {
      if (version > known) this.#versions.set(tenantId, env, version);
      return;
    }
    if (this.#versions.size >= this.maxEntries) {
      const [oldTenant, oldEnv] = this.#versions.first()!;
      this.#versions.delete(oldTenant, oldEnv);
    }
    this.#versions.set(tenantId, env, version);
  }

  /** Forgets an environment's version: the next lookup reads the database. */
  invalidate(tenantId: string, env: string): void {
    this.#generation++;
    this.#versions.delete(tenantId, env);
  }
}
