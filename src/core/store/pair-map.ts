/**
 * A map keyed by a pair of strings, (tenant id, name), held as a map of maps.
 *
 * Why not one map keyed by `${a}/${b}`: the hot paths look entries up with the
 * same string instances every time (a cached key's tenant id and environment),
 * whose hashes V8 keeps on the string; a composite key is a new string, hashed
 * again on every lookup.
 */
export class PairMap<V> {
  readonly #outer = new Map<string, Map<string, V>>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(a: string, b: string): V | undefined {
    return this.#outer.get(a)?.get(b);
  }

  has(a: string, b: string): boolean {
    return this.#outer.get(a)?.has(b) ?? false;
  }

  set(a: string, b: string, value: V): void {
    let inner = this.#outer.get(a);
    if (inner === undefined) this.#outer.set(a, (inner = new Map()));
    if (!inner.has(b)) this.#size++;
    inner.set(b, value);
  }

  delete(a: string, b: string): boolean {
    const inner = this.#outer.get(a);
    if (inner === undefined || !inner.delete(b)) return false;
    this.#size--;
    if (inner.size === 0) this.#outer.delete(a);
    return true;
  }

  clear(): void {
    this.#outer.clear();
    this.#size = 0;
  }

  /** The pairs of one tenant (`a`); a snapshot, so deleting while iterating is safe. */
  entriesOf(a: string): [string, V][] {
    return [...(this.#outer.get(a) ?? [])];
  }

  /** The oldest pair: of the first `a` inserted (and still present), its first `b`. */
  first(): [string, string, V] | undefined {
    for (const [a, inner] of this.#outer) {
      for (const [b, value] of inner) return [a, b, value];
    }
    return undefined;
  }

  *entries(): IterableIterator<[string, string, V]> {
    for (const [a, inner] of this.#outer) {
      for (const [b, value] of inner) yield [a, b, value];
    }
  }
}
