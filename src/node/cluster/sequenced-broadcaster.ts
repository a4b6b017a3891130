import { silentBroadcaster, type Broadcaster, type CommittedChange, type EnvReset, type StreamSource } from "../../core/broadcaster.js";
import { PairMap } from "../../core/store/pair-map.js";

export interface SequencedBroadcasterOptions {
  /** Environments whose last version is remembered (the oldest is forgotten first). Default 100,000. */
  maxEnvs?: number;
  /**
   * The version an environment had when this broadcaster started following it
   * (everything up to it needs no publishing). Without it, the first change seen
   * of an environment passes whatever its `prev`; with it, that change waits like
   * any other for versions committed since the start and not seen yet.
   */
  startVersion?: (tenantId: string, env: string) => Promise<number>;
}

/**
 * Hands each environment's changes to its target once each and in version
 * order, when they come from two sources that race: this process's own commits
 * (published as they return) and the commits of every process read back from
 * the database (the commit feed), which include this process's own again.
 *
 * A change already passed on is dropped. A change that skips versions (this
 * process committed version 5 while version 4, committed elsewhere, has not been
 * read back yet) waits while the missing ones are read from the change log, so
 * sockets get 4 then 5 rather than a patch they cannot apply and a resync. If the
 * log cannot supply them, the change goes on as it is: clients whose version
 * does not match its `prev` resync, as they would after any gap.
 */
export class SequencedBroadcaster implements Broadcaster {
  target: Broadcaster = silentBroadcaster;
  /** The last version passed on, per (tenant, environment). */
  readonly #last = new PairMap<number>();
  /** The audit seq of the last signing-key or epoch change passed on, per environment. */
  readonly #resets = new PairMap<number>();
  /** Environments whose missing versions are being read, with the changes offered meanwhile. */
  readonly #held = new PairMap<CommittedChange[]>();
  readonly #maxEnvs: number;
  readonly #startVersion: ((tenantId: string, env: string) => Promise<number>) | undefined;

  constructor(
    private readonly source: Pick<StreamSource, "changesSince">,
    private readonly onError: (error: unknown) => void = () => {},
    options: SequencedBroadcasterOptions = {},
  ) {
    this.#maxEnvs = options.maxEnvs ?? 100_000;
    this.#startVersion = options.startVersion;
  }

  publish(change: CommittedChange): void {
    const held = this.#held.get(change.tenantId, change.env);
    if (held) held.push(change);
    else this.#offer(change);
  }

  keyRevoked(tenantId: string, keyId: string): void {
    this.target.keyRevoked(tenantId, keyId);
  }

  /**
   * Passed on once per change (this process's own arrives again from the commit feed,
   * with the same audit seq). A new epoch may start the versions over: the
   * environment's order is learned afresh.
   */
  resetEnvironment(tenantId: string, env: string, cause: EnvReset, auditSeq?: number): void {
    if (auditSeq !== undefined) {
      if (auditSeq <= (this.#resets.get(tenantId, env) ?? -1)) return;
      if (!this.#resets.has(tenantId, env) && this.#resets.size >= this.#maxEnvs) {
        const [oldTenant, oldEnv] = this.#resets.first()!;
        this.#resets.delete(oldTenant, oldEnv);
      }
      this.#resets.set(tenantId, env, auditSeq);
    }
    if (cause === "epoch") this.#last.delete(tenantId, env);
    this.target.resetEnvironment?.(tenantId, env, cause, auditSeq);
  }

  /** False while some change waits for missing versions: it has been offered but not passed on. */
  get idle(): boolean {
    return this.#held.size === 0;
  }

  /** The last version passed on for an environment, if this process has seen one. */
  lastVersion(tenantId: string, env: string): number | undefined {
    return this.#last.get(tenantId, env);
  }

  #offer(change: CommittedChange): void {
    const last = this.#last.get(change.tenantId, change.env);
    if (last !== undefined && change.version <= last) return;
    if (last === undefined ? change.prev === 0 || !this.#startVersion : change.prev <= last) return this.#pass(change);
    this.#held.set(change.tenantId, change.env, [change]);
    this.#missing(change, last).then(
      (missed) => this.#release(change, missed ?? []),
      (error: unknown) => {
        this.onError(error);
        this.#release(change, []);
      },
    );
  }

  /** The versions between the last one passed on (or the start version) and `change`. */
  async #missing(change: CommittedChange, last: number | undefined): Promise<CommittedChange[] | null> {
    const { tenantId, env } = change;
    if (last === undefined) {
      last = await this.#startVersion!(tenantId, env);
      // Nothing of this environment passed meanwhile (it is held): the start is the last version passed.
      if (!this.#last.has(tenantId, env)) this.#remember(tenantId, env, last);
      if (change.prev <= last) return [];
    }
    return this.source.changesSince(tenantId, env, last);
  }

  /** The missing versions are in (or could not be read): pass them on, then what waited. */
  #release(gap: CommittedChange, missed: CommittedChange[]): void {
    const { tenantId, env } = gap;
    const held = this.#held.get(tenantId, env) ?? [gap];
    this.#held.delete(tenantId, env);
    for (const change of missed) {
      const last = this.#last.get(tenantId, env) ?? -1;
      if (change.version > last && change.prev === last) this.#pass(change);
    }
    for (const change of held) {
      const last = this.#last.get(tenantId, env) ?? -1;
      if (change.version <= last) continue;
      // Still a gap after the read: pass it on rather than wait forever.
      if (change === gap) this.#pass(change);
      // Through `publish`: once one of these starts a new read, the rest wait behind it.
      else this.publish(change);
    }
  }

  #pass(change: CommittedChange): void {
    this.#remember(change.tenantId, change.env, change.version);
    try {
      this.target.publish(change);
    } catch (error) {
      this.onError(error);
    }
  }

  #remember(tenantId: string, env: string, version: number): void {
    if (!this.#last.has(tenantId, env) && this.#last.size >= this.#maxEnvs) {
      const [oldTenant, oldEnv] = this.#last.first()!;
      this.#last.delete(oldTenant, oldEnv);
    }
    this.#last.set(tenantId, env, version);
  }
}
