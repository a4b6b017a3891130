/**
 * `change.complete` and `change.incomplete`: looks at the receipt of each
 * watched version (src/core/store/receipt-watches.ts) until every instance
 * connected at commit time has acked it, or 60 s have passed. The receipt is
 * the one `GET /v1/envs/{env}/changes/{version}` answers on this host (on Node
 * with several processes, it counts every node), so any process may look.
 *
 * The event's id comes from the version, so two processes that both decide
 * queue it once. `change.incomplete` is sent when the receipt is still
 * `pending`, or `no-instances` (nobody was connected: nothing was reached), or
 * no longer known, 60 s after the commit.
 */
import type { PropagationReceipt } from "../receipts/receipt.js";
import type { Store } from "../store/index.js";
import { retryBusy } from "../db/retry-busy.js";
import { derivedEventId } from "./event.js";

/** After this, a change not yet complete is reported incomplete. */
export const INCOMPLETE_AFTER_MS = 60_000;
/** How often a pending receipt is looked at again: soon at first, then every 10 s. */
const CHECK_STEPS_MS = [1_000, 2_000, 4_000, 8_000, 10_000];

const CLAIM_LIMIT = 100;
const LEASE_MS = 30_000;

export type ReceiptReader = (tenantId: string, env: string, version: number) => PropagationReceipt | null | Promise<PropagationReceipt | null>;

export interface ReceiptWatcherOptions {
  store: Store;
  /** The host's receipts; without one (no socket layer) every change ends incomplete. */
  receipts?: ReceiptReader;
  clock: () => number;
  onError: (error: unknown) => void;
}

export class ReceiptWatcher {
  readonly #options: ReceiptWatcherOptions;

  constructor(options: ReceiptWatcherOptions) {
    this.#options = options;
  }

  async runDue(): Promise<number | null> {
    const { store, clock, onError } = this.#options;
    const next = await store.webhooks.nextWatchAt();
    if (next === null || next > clock()) return next;
    const claimed = await store.webhooks.claimWatches(clock(), CLAIM_LIMIT, LEASE_MS);
    for (const watch of claimed) {
      try {
        const receipt = (await this.#options.receipts?.(watch.tenantId, watch.env, watch.version)) ?? null;
        const now = clock();
        const age = now - watch.committedAt;
        if (receipt?.status !== "complete" && age < INCOMPLETE_AFTER_MS) {
          const step = CHECK_STEPS_MS.find((ms) => watch.committedAt + ms > now) ?? 10_000;
          await store.webhooks.deferWatch(watch, Math.min(watch.committedAt + INCOMPLETE_AFTER_MS, Math.max(now + 1_000, watch.committedAt + step)));
          continue;
        }
        const data = await store.webhooks.changeEventData(watch.tenantId, watch.env, watch.version);
        if (data === null) {
          await store.webhooks.finishWatch(watch, null);
          continue;
        }
        const type = receipt?.status === "complete" ? "change.complete" : "change.incomplete";
        const summary = receipt
          ? { status: receipt.status, connected: receipt.connected, acked: receipt.acked, pending: receipt.pending.length, latencyMs: receipt.latencyMs }
          : { status: "unknown" };
        const id = await derivedEventId([watch.tenantId, watch.env, watch.version, type]);
        await retryBusy(() => store.webhooks.finishWatch(watch, { id, type, data: { ...data, receipt: summary } }));
      } catch (error) {
        onError(error);
      }
    }
    return claimed.length > 0 ? clock() : await store.webhooks.nextWatchAt();
  }
}
