/**
 * `lastUsedAt`, best effort. A key's use is recorded in memory and written with
 * every other key used meanwhile, in one batch a moment later: no request waits
 * for this write or fails because of it. A batch that meets a busy, full or
 * read-only database keeps its keys (the newest use of each) for the next try;
 * any other failure is reported and its keys dropped.
 */
import { and, eq } from "drizzle-orm";
import { apiKeys } from "../db/schema.js";
import type { Executor, Statement, StoreDb } from "../db/executor.js";
import { databaseFault, isBusyError } from "../db/retryable.js";
import { ProblemError } from "../problem.js";
import type { StoreTimer } from "./context.js";

/** How long uses gather before a batch is written. */
const GATHER_MS = 100;
/** How long a batch that met a busy or faulty database waits before it is tried again. */
const RETRY_MS = 1000;
/** Keys kept waiting at most: beyond it, a new key's use is not recorded (its next use, a minute later, is). */
const MAX_PENDING = 10_000;
/** Keys per batch. */
const MAX_BATCH = 500;

interface Use {
  tenantId: string;
  keyId: string;
  at: number;
}

export interface KeyTouchesDeps {
  db: StoreDb;
  executor: Executor;
  timer: StoreTimer;
  report: (error: unknown) => void;
}

export class KeyTouches {
  readonly #deps: KeyTouchesDeps;
  /** By `tenantId keyId`. */
  readonly #pending = new Map<string, Use>();
  /** The next batch, once one is scheduled: settles when it has been tried. */
  #next: Promise<void> | undefined;
  #stopped = false;

  constructor(deps: KeyTouchesDeps) {
    this.#deps = deps;
  }

  /** Records a use; resolves once the batch holding it has been tried. Never rejects. */
  record(tenantId: string, keyId: string, at: number): Promise<void> {
    const id = `${tenantId} ${keyId}`;
    const known = this.#pending.get(id);
    if (known === undefined && this.#pending.size < MAX_PENDING) this.#pending.set(id, { tenantId, keyId, at });
    else if (known !== undefined && known.at < at) known.at = at;
    return this.#schedule(GATHER_MS);
  }

  /** Writes what is pending now, once, and schedules nothing more (shutdown). */
  async flush(): Promise<void> {
    this.#stopped = true;
    await this.#write();
  }

  #schedule(ms: number): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return (this.#next ??= this.#deps.timer.sleep(ms).then(async () => {
      this.#next = undefined;
      if (this.#stopped) return;
      if (await this.#write()) void this.#schedule(RETRY_MS);
    }));
  }

  /** One batch; true when it should be tried again. */
  async #write(): Promise<boolean> {
    const uses = [...this.#pending.values()].slice(0, MAX_BATCH);
    if (uses.length === 0) return false;
    for (const use of uses) this.#pending.delete(`${use.tenantId} ${use.keyId}`);
    const { db, executor, report } = this.#deps;
    const statements: Statement[] = uses.map((use) =>
      db
        .update(apiKeys)
        .set({ lastUsedAt: use.at })
        .where(and(eq(apiKeys.tenantId, use.tenantId), eq(apiKeys.id, use.keyId))),
    );
    try {
      await executor.commit(statements);
      return this.#pending.size > 0;
    } catch (error) {
      const unavailable = error instanceof ProblemError && error.kind === "unavailable";
      if (!isBusyError(error) && databaseFault(error) === null && !unavailable) {
        report(error);
        return this.#pending.size > 0;
      }
      // Put back what no newer use replaced; the host reports the database's state itself.
      for (const use of uses) {
        const id = `${use.tenantId} ${use.keyId}`;
        if (!this.#pending.has(id) && this.#pending.size < MAX_PENDING) this.#pending.set(id, use);
      }
      return true;
    }
  }
}
