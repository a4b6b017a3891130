/**
 * Where the last known good snapshot is kept between runs: any key-value store
 * whose methods may be synchronous or return promises. (A file path is a cache on
 * Node only: the Node entry supplies the file storage, see node.ts.)
 *
 * @example
 * ```ts
 * const cache: SnapshotStorage = { get: (k) => redis.get(k), set: (k, v) => redis.set(k, v) };
 * ```
 */
export interface SnapshotStorage {
  get(key: string): Promise<string | null | undefined> | string | null | undefined;
  set(key: string, value: string): unknown;
}

/** The part of a Web Storage object the adapter uses: structural, so that it types on every runtime. */
export interface WebStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/**
 * Adapts a Web Storage object (`localStorage`, `sessionStorage`) to {@link SnapshotStorage}.
 *
 * @example
 * ```ts
 * createClient({ url, sdkKey, cache: webStorage(localStorage) });
 * ```
 */
export const webStorage = (storage: WebStorageLike): SnapshotStorage => ({
  get: (key) => storage.getItem(key),
  set: (key, value) => storage.setItem(key, value),
});
