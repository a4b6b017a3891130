/**
 * Applies due scheduled changes, on any host: the host calls `runDue` from its
 * timer (Node) or alarm (Durable Object). Each due entry is claimed in the
 * database, then applied or recorded skipped by the store (schedule.ts). A
 * failure that is no verdict on the change (a busy or faulty database) leaves
 * the entry pending, tried again after a growing pause: never an error loop.
 */
import type { Store } from "../store/index.js";
import type { BackgroundObserver } from "../background.js";

/** Entries claimed per round. */
const CLAIM_LIMIT = 50;
/** A claim lapses after this, so that an entry whose process died is taken over. */
const LEASE_MS = 30_000;

export interface SchedulerOptions {
  store: Store;
  clock: () => number;
  observer?: BackgroundObserver;
  onError: (error: unknown) => void;
}

export class Scheduler {
  readonly #options: SchedulerOptions;

  constructor(options: SchedulerOptions) {
    this.#options = options;
  }

  /** Applies what is due now; answers when the next entry falls due, or null. */
  async runDue(): Promise<number | null> {
    const { store, clock, observer, onError } = this.#options;
    let next = await store.schedule.nextAt();
    if (next !== null && next <= clock()) {
      for (;;) {
        const claimed = await store.schedule.claimDue(clock(), CLAIM_LIMIT, LEASE_MS);
        for (const entry of claimed) {
          try {
            const outcome = await store.schedule.apply(entry.tenantId, entry.id);
            if (outcome !== null) observer?.scheduledChange?.(outcome.status, outcome.late);
          } catch (error) {
            observer?.scheduledChange?.("failed", false);
            onError(error);
            await store.schedule.defer(entry.tenantId, entry.id, clock()).catch(onError);
          }
        }
        if (claimed.length < CLAIM_LIMIT) break;
      }
      next = await store.schedule.nextAt();
    }
    if (observer?.scheduleCounts) observer.scheduleCounts(await store.schedule.counts(clock()));
    return next;
  }
}
