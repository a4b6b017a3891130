/**
 * The receipts' ledger in memory (receipt-tracker.ts): the Node host's, and the
 * base of its cluster ledger. Bounded: the last `maxVersions` versions per
 * environment, at most `maxEnvs` environments; past that, the longest-tracked
 * environment the host says it may forget is forgotten (its receipts answer null).
 */
import type { ReceiptLedger, ReceiptRecord } from "./receipt-tracker.js";

export interface MemoryLedgerOptions {
  /** Versions kept per environment (oldest dropped first). Default 256. */
  maxVersions?: number;
  /** Environments kept at once. Default 10,000. */
  maxEnvs?: number;
  /** Whether an environment may be forgotten to make room (Node: none of its instances is connected). Default: any. */
  canForget?: (tenantId: string, env: string) => boolean;
}

/** One kept version. */
export interface KeptVersion {
  readonly version: number;
  readonly record: ReceiptRecord;
}

/** An environment's kept versions, ascending. */
export interface KeptEnv {
  readonly tenantId: string;
  readonly env: string;
  readonly versions: KeptVersion[];
}

export class MemoryLedger implements ReceiptLedger {
  readonly keep: number;
  readonly #maxEnvs: number;
  readonly #canForget: (tenantId: string, env: string) => boolean;
  readonly #envs = new Map<string, KeptEnv>();
  #last: KeptEnv | null = null;

  constructor(options: MemoryLedgerOptions = {}) {
    this.keep = Math.max(1, options.maxVersions ?? 256);
    this.#maxEnvs = Math.max(1, options.maxEnvs ?? 10_000);
    this.#canForget = options.canForget ?? (() => true);
  }

  /**
   * A version at or below the newest kept is a replay (a change read again from
   * the feed) or out of order: the first record stands.
   */
  committed(tenantId: string, env: string, version: number, record: ReceiptRecord): void {
    const kept = this.#env(tenantId, env);
    const versions = kept.versions;
    const last = versions[versions.length - 1];
    if (last && version <= last.version) return;
    const entry = { version, record };
    versions.push(entry);
    this.kept(kept, entry);
    if (versions.length > this.keep) this.dropped(kept, versions.shift()!);
  }

  record(tenantId: string, env: string, version: number): ReceiptRecord | null {
    const kept = this.#find(tenantId, env);
    return (kept && findVersion(kept.versions, version)?.record) ?? null;
  }

  /** Nothing to do: the record is the one kept (a subclass that mirrors it overrides this). */
  sampled(_tenantId: string, _env: string, _version: number, _record: ReceiptRecord): void {}

  /** The newest kept version of an environment, or null. */
  newest(tenantId: string, env: string): number | null {
    const versions = this.#envs.get(envKey(tenantId, env))?.versions;
    return versions?.[versions.length - 1]?.version ?? null;
  }

  /** Every kept environment. */
  envs(): IterableIterator<KeptEnv> {
    return this.#envs.values();
  }

  /** The kept environment and entry of a version, for a subclass. */
  protected entry(tenantId: string, env: string, version: number): [KeptEnv, KeptVersion] | null {
    const kept = this.#find(tenantId, env);
    const entry = kept && findVersion(kept.versions, version);
    return kept && entry ? [kept, entry] : null;
  }

  /** A version was committed (a subclass that mirrors them listens here). */
  protected kept(_env: KeptEnv, _entry: KeptVersion): void {}

  /** A version fell out of the window. */
  protected dropped(_env: KeptEnv, _entry: KeptVersion): void {}

  /**
   * The kept environment, the last one found first: every ack of a change looks up
   * the same environment, and building and hashing its key each time was a third
   * of an ack's cost at 10,000 sockets.
   */
  #find(tenantId: string, env: string): KeptEnv | undefined {
    const last = this.#last;
    if (last && last.tenantId === tenantId && last.env === env) return last;
    const kept = this.#envs.get(envKey(tenantId, env));
    if (kept) this.#last = kept;
    return kept;
  }

  #env(tenantId: string, env: string): KeptEnv {
    const key = envKey(tenantId, env);
    let kept = this.#envs.get(key);
    if (!kept) {
      if (this.#envs.size >= this.#maxEnvs) this.#forgetOne();
      this.#envs.set(key, (kept = { tenantId, env, versions: [] }));
    }
    return kept;
  }

  /** Insertion order: the first one that may go is the longest tracked. */
  #forgetOne(): void {
    for (const [key, kept] of this.#envs) {
      if (this.#canForget(kept.tenantId, kept.env)) {
        this.#envs.delete(key);
        if (this.#last === kept) this.#last = null;
        return;
      }
    }
  }
}

function findVersion(versions: KeptVersion[], version: number): KeptVersion | undefined {
  let lo = 0;
  let hi = versions.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = versions[mid]!.version;
    if (v === version) return versions[mid];
    if (v < version) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

function envKey(tenantId: string, env: string): string {
  // A tenant id is [a-z0-9]{10}: "/" cannot occur in it.
  return `${tenantId}/${env}`;
}
