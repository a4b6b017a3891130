/**
 * The libsql client every Node database connection goes through.
 *
 * libsql's local driver (0.18) leaves a statement that failed with SQLITE_BUSY
 * in progress on its connection; from then on every COMMIT on that connection
 * fails with "cannot commit transaction - SQL statements in progress" (also
 * SQLITE_BUSY), so one lock wait that timed out would poison every later write.
 * The client below drops its connections after any busy error (`reconnect()`
 * closes them; the next call opens a fresh one with the same options), and the
 * caller's retry then starts clean. test/node/libsql-client.test.ts shows both
 * the poisoning and the cure.
 */
import { createClient, type Client } from "@libsql/client";
import { isBusyError } from "../core/db/retryable.js";

/** The client methods that run statements. */
const RUNNERS = new Set<PropertyKey>(["execute", "batch", "executeMultiple", "migrate"]);

/** A libsql client whose lock waits give up after `busyTimeoutMs` (0: at once), healed after a busy error. */
export function openClient(url: string, busyTimeoutMs: number): Client {
  return healedOnBusy(createClient({ url, timeout: busyTimeoutMs }));
}

export function healedOnBusy(client: Client): Client {
  return new Proxy(client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      if (!RUNNERS.has(property)) return value.bind(target);
      return async (...args: unknown[]) => {
        try {
          return await value.apply(target, args);
        } catch (error) {
          if (isBusyError(error) && !target.closed) await target.reconnect();
          throw error;
        }
      };
    },
  });
}
