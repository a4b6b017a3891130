import type { SnapshotStorage } from "./storage.js";
import type { Socket } from "./transport.js";

/**
 * What a runtime entry adds to the universal client core (LaunchDarkly js-core's
 * platform): the Node entry (`node.ts`) supplies both; elsewhere the core needs
 * neither, so browser, Deno and Workers bundles carry no Node code. `_` names are
 * mangled alike in every entry (sdk/build.mjs shares the core's mangle cache).
 */
export interface Platform {
  /** Opens the stream where there is no WebSocket constructor (Node 20: `ws`, key in a header). */
  _socket?(): Promise<(url: string, key: string) => Socket>;
  /**
   * Parses a JSON text over 1 MB without blocking the loop for the whole parse (Node: a
   * worker thread). Its `_socket` may deliver such a text frame as its UTF-8 bytes.
   */
  _parse?(text: string | Uint8Array): Promise<unknown>;
  /**
   * The snapshot cache at a file path; `tmpSuffix` names its temporary file. Unlike a
   * {@link SnapshotStorage}, its `set` is given the cache's lines as the client holds them
   * (texts, or a large frame's UTF-8 bytes), to be written one after the other, each
   * followed by a newline but the last: no single text of the whole cache is made on the loop.
   */
  _file?(path: string, tmpSuffix: string): FileCache;
}

/** The Node entry's file cache (Platform `_file`). */
export interface FileCache {
  get: SnapshotStorage["get"];
  set(key: string, lines: (string | Uint8Array)[]): Promise<void>;
}
