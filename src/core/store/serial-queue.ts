/**
 * Runs tasks one at a time per key, in arrival order. The store queues each
 * tenant's mutations so that writers in one process take turns instead of
 * colliding on the audit chain and retrying; writers in other processes are still
 * caught by the commit's primary keys.
 */
export class SerialQueue {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => done);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      // The last in line cleans up, so idle keys hold no memory.
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** Keys with a task running or waiting. */
  get size(): number {
    return this.#tails.size;
  }
}
