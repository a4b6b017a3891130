import { nodeImport } from "./node-import.js";

/**
 * Where the last known good snapshot is kept between runs: any key-value store
 * whose methods may be synchronous or return promises.
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

/**
 * Adapts a Web Storage object (`localStorage`, `sessionStorage`) to {@link SnapshotStorage}.
 *
 * @example
 * ```ts
 * createClient({ url, sdkKey, cache: webStorage(localStorage) });
 * ```
 */
export const webStorage = (storage: Pick<Storage, "getItem" | "setItem">): SnapshotStorage => ({
  get: (key) => storage.getItem(key),
  set: (key, value) => storage.setItem(key, value),
});

interface Fs {
  readFile(path: string, encoding: "utf8"): Promise<string>;
  writeFile(path: string, data: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
}

/**
 * One file on Node. A write goes to a temporary file that is then renamed over
 * the old one, so a crash mid-write never leaves half a snapshot behind.
 */
export const fileStorage = (path: string, tmpSuffix: string): SnapshotStorage => {
  const fs = (): Promise<Fs> => nodeImport("node:fs/promises");
  return {
    get: async () =>
      (await fs()).readFile(path, "utf8").catch((e: { code?: string }) => {
        if (e.code === "ENOENT") return null;
        throw e;
      }),
    set: async (_key, value) => {
      const f = await fs();
      const tmp = `${path}.${tmpSuffix}.tmp`;
      await f.writeFile(tmp, value);
      await f.rename(tmp, path);
    },
  };
};
