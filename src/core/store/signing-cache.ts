/**
 * Each environment's signing state (its epoch and imported signing keys), kept in
 * memory: a frame costs a signature, not a database read and a key import.
 *
 * Exact on one process for the same reason as the version cache: keys and epochs
 * change only through this store's commits, which drop the entry before the write is
 * answered. Another process's rotation or new epoch reaches it through `drop`
 * (`store.invalidateSigning`, called by the Node host's commit tail); until then it
 * signs with the keys it has, which still verify during the overlap. A load that was
 * in flight when the entry was dropped is used for its own caller and not kept.
 */
import type { SigningState } from "../signing/signing-state.js";
import { PairMap } from "./pair-map.js";

export class SigningCache {
  readonly #states = new PairMap<Promise<SigningState>>();
  #generation = 0;

  constructor(private readonly maxEntries = 10_000) {}

  /** The state of an environment, loaded by `load` once however many callers ask meanwhile. */
  get(tenantId: string, env: string, load: () => Promise<SigningState>): Promise<SigningState> {
    const known = this.#states.get(tenantId, env);
    if (known) return known;
    const generation = this.#generation;
    const loading = load();
    if (this.#states.size >= this.maxEntries) {
      const [oldTenant, oldEnv] = this.#states.first()!;
      this.#states.delete(oldTenant, oldEnv);
    }
    this.#states.set(tenantId, env, loading);
    const forget = () => {
      if (this.#states.get(tenantId, env) === loading) this.#states.delete(tenantId, env);
    };
    // A failed load is not kept; nor one that a drop made stale meanwhile (it may predate the change).
    loading.then(() => generation !== this.#generation && forget(), forget);
    return loading;
  }

  /** Forgets an environment's state: its keys or epoch changed. */
  drop(tenantId: string, env: string): void {
    this.#generation++;
    this.#states.delete(tenantId, env);
  }
}
