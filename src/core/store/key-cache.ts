/**
 * The api-key rows authentication needs, kept in memory so that a request costs
 * no database read once its key has been seen.
 *
 * Why it is exact: a key changes only through this store (created, revoked), and
 * the store drops the matching entry as soon as such a commit returns, before
 * the write is answered; so the request after a revocation reads the database
 * again. A read that was already in flight when an entry was dropped could bring
 * back the old row: every drop starts a new generation, and a read started in an
 * older one is not kept. Changes made by another process on the same database
 * reach it through `invalidateKey`, called by the Node host's commit tail.
 *
 * Entries are keyed by (tenant, prefix), as the rows are looked up, and hold each
 * unrevoked row's sha256(secret): a token is still hashed and compared in
 * constant time on every request. Only lookups that found rows are kept (a miss
 * is read again next time), and the map is bounded: beyond `maxEntries` the
 * oldest entry is dropped.
 */
import type { Role } from "../keys/roles.js";
import { PairMap } from "./pair-map.js";

/** Who a valid bearer token is. */
export interface AuthenticatedKey {
  tenantId: string;
  keyId: string;
  name: string;
  role: Role;
  /** The environment of an sdk key; null for the others. */
  env: string | null;
}

/** One unrevoked key row of a (tenant, prefix): what a token's hash is compared with. */
export interface KeyCandidate {
  secretHash: string;
  key: AuthenticatedKey;
}

export class KeyCache {
  readonly #entries = new PairMap<readonly KeyCandidate[]>();
  #generation = 0;

  constructor(private readonly maxEntries = 10_000) {}

  get size(): number {
    return this.#entries.size;
  }

  /** Taken before a database read and handed to `fill`: a drop in between voids the read. */
  get generation(): number {
    return this.#generation;
  }

  get(tenantId: string, prefix: string): readonly KeyCandidate[] | undefined {
    return this.#entries.get(tenantId, prefix);
  }

  /** Keeps the rows read for (tenant, prefix) unless an entry was dropped since `generation`. */
  fill(tenantId: string, prefix: string, candidates: readonly KeyCandidate[], generation: number): void {
    if (generation !== this.#generation || candidates.length === 0) return;
    if (!this.#entries.has(tenantId, prefix) && this.#entries.size >= this.maxEntries) {
      const [oldTenant, oldPrefix] = this.#entries.first()!;
      this.#entries.delete(oldTenant, oldPrefix);
    }
    // Frozen: every request of the key shares these objects.
    for (const candidate of candidates) Object.freeze(candidate.key);
    this.#entries.set(tenantId, prefix, Object.freeze(candidates));
  }

  /** Drops the entry holding a key (revoked, or changed elsewhere). */
  invalidateKey(tenantId: string, keyId: string): void {
    this.#generation++;
    // Revocations are rare: a scan of the tenant's entries keeps no second index to maintain.
    for (const [prefix, candidates] of this.#entries.entriesOf(tenantId)) {
      if (candidates.some((c) => c.key.keyId === keyId)) this.#entries.delete(tenantId, prefix);
    }
  }

  /** Drops the entry of (tenant, prefix): a new key with that prefix must be found. */
  invalidatePrefix(tenantId: string, prefix: string): void {
    this.#generation++;
    this.#entries.delete(tenantId, prefix);
  }
}
