/**
 * The receipts' ledger of a Node process that shares its database with others:
 * memory (the core's MemoryLedger), plus the list of versions committed or
 * acked since the instance mirror last wrote them to `stream_receipts`
 * (instance-mirror.ts, about every 250 ms; never a write per ack). The other
 * nodes read this node's shares from there (cluster-tables.ts).
 */
import { MemoryLedger, type KeptEnv, type KeptVersion, type MemoryLedgerOptions } from "../../core/receipts/memory-ledger.js";

/** One node's share of one version, as written to `stream_receipts`. */
export interface VersionUpdate {
  tenantId: string;
  env: string;
  version: number;
  committedAt: number;
  connected: number;
  /** The ack latencies so far (a copy), float32 as stored. */
  latencies: Float32Array;
  /** The oldest version this node still keeps for the environment: older shares can go. */
  oldestKept: number;
}

export class ClusterLedger extends MemoryLedger {
  readonly #changed = new Map<KeptVersion, KeptEnv>();

  constructor(options: MemoryLedgerOptions = {}) {
    super(options);
  }

  protected override kept(env: KeptEnv, entry: KeptVersion): void {
    this.#changed.set(entry, env);
  }

  override sampled(tenantId: string, env: string, version: number): void {
    const found = this.entry(tenantId, env, version);
    if (found) this.#changed.set(found[1], found[0]);
  }

  protected override dropped(_env: KeptEnv, entry: KeptVersion): void {
    this.#changed.delete(entry);
  }

  /** Versions committed or acked since the last call. */
  drainVersionUpdates(): VersionUpdate[] {
    const out: VersionUpdate[] = [];
    // A version that left the window has left this list too (dropped), and a kept environment holds a version.
    for (const [entry, env] of this.#changed) {
      const oldest = env.versions[0]!;
      const { record } = entry;
      out.push({
        tenantId: env.tenantId,
        env: env.env,
        version: entry.version,
        committedAt: record.committedAt,
        connected: record.connected,
        latencies: Float32Array.from(record.samples.subarray(0, record.acked)),
        oldestKept: oldest.version,
      });
    }
    this.#changed.clear();
    return out;
  }

  /** Forgets what changed since the last drain (nobody needs the list now). */
  discardUpdates(): void {
    this.#changed.clear();
  }

  /** Lists every kept version as changed, so that the next drain returns them all (a shared store that lost track of this node). */
  markAllChanged(): void {
    for (const env of this.envs()) for (const entry of env.versions) this.#changed.set(entry, env);
  }
}
