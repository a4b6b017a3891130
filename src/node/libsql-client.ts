/**
 * The libsql connections of the Node host, and why they are shaped so.
 *
 * libsql's local driver is synchronous: a statement that waits for another
 * process's write lock (`busy_timeout`) holds the event loop for the whole wait,
 * and every request of the process waits with it. So no connection that serves
 * requests waits for a lock:
 *
 * - the **reader** (`openReader`) serves every read. In WAL mode a reader never
 *   waits for a writer, and `PRAGMA query_only` makes sure it never takes the
 *   write lock itself. It is never reopened, so no read is ever cut off by a
 *   reconnect;
 * - the **writer** (`openWriter`) commits, with a busy timeout of 0: a write that
 *   meets the lock fails at once with SQLITE_BUSY, and the caller retries it
 *   asynchronously (src/core/store/mutation.ts). A batch on it takes the lock
 *   first (`BEGIN IMMEDIATE`).
 *
 * The writer runs one call at a time and starts on a fresh connection after any
 * failure. libsql 0.18 leaves a statement that failed with SQLITE_BUSY in
 * progress, and every later COMMIT on that connection fails with "cannot commit
 * transaction - SQL statements in progress"; a connection opened while the file
 * was read-only stays read-only after the permissions come back. Reconnecting
 * closes every connection of the client, which is safe only because nothing else
 * runs on it meanwhile. test/node/libsql-client.test.ts shows the poisoning and
 * the cure.
 */
import { createClient, type Client } from "@libsql/client";

/** The client methods that run statements. */
const RUNNERS = new Set<PropertyKey>(["execute", "batch", "executeMultiple", "migrate"]);

/**
 * A read-only connection (for a file database) that never waits for a lock. One
 * connection: libsql's pool would open further ones without the pragma.
 */
export async function openReader(url: string): Promise<Client> {
  const client = createClient({ url, timeout: 0, concurrency: 1 });
  try {
    await client.execute("PRAGMA query_only = 1");
    return client;
  } catch (error) {
    client.close();
    throw error;
  }
}

/**
 * A connection that gives up on a held lock after `busyTimeoutMs` (0 while serving:
 * at once), runs one call at a time, and starts afresh after a failure. `batch`
 * defaults to the "write" mode.
 */
export function openWriter(url: string, busyTimeoutMs = 0): Client {
  const client = createClient({ url, timeout: busyTimeoutMs, concurrency: 1 });
  let turn: Promise<unknown> = Promise.resolve();
  let stale = false;
  return new Proxy(client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      if (property === "transaction") {
        return () => Promise.reject(new Error("the writer runs batches only: a transaction would hold it across awaits"));
      }
      if (!RUNNERS.has(property)) return value.bind(target);
      return (...args: unknown[]) => {
        if (property === "batch" && args[1] === undefined) args = [args[0], "write"];
        const run = turn.then(async () => {
          if (stale && !target.closed) await target.reconnect();
          stale = false;
          try {
            return await value.apply(target, args);
          } catch (error) {
            stale = true;
            throw error;
          }
        });
        turn = run.catch(() => {});
        return run;
      };
    },
  });
}
